"""Lockout agrees: failed Kerberos pre-authentications count in the directory, a lockout holds at
the KDC and in Get-ADUser, and Unlock-ADAccount unlocks both."""

from __future__ import annotations

import time
from typing import Any

from orchestrator.lab.harness import RunningLab
from orchestrator.lab.kerberos.failures import failed_principals

from .test_lab_directory import logs_on, refusal
from .winrm import CLIENT_REVOKED, PREAUTH_FAILED, REALM, as_operator, kdc_failures

USER = "SMSClient_TB1"  # the scenario's connection account, under the domain's lockout policy
PASSWORD = "Tb1-Client-2000"


def threshold(lab: RunningLab) -> int:
    """The domain's lockout threshold."""
    with lab.backend.inspect() as state:
        return state.ad.lockout.threshold


def directory_view(lab: RunningLab) -> dict[str, Any]:
    """LockedOut and badPwdCount as Get-ADUser shows them over pypsrp."""
    found = as_operator(lab, "Get-ADUser", Identity=USER, Properties=["LockedOut", "badPwdCount"])
    props = found[0].adapted_properties
    return {"LockedOut": props["LockedOut"], "badPwdCount": props["badPwdCount"]}


def wait_for_directory(lab: RunningLab, bad_count: int, timeout: float = 5.0) -> None:
    """Until the feed has brought the KDC's failures to the directory (it polls kdc.log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = lab.backend.ad_account(USER)
        if view is not None and view.bad_pwd_count >= bad_count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the directory never counted {bad_count} failures")


def test_one_wrong_kerberos_password_counts_once_at_the_kdc_and_in_the_directory(
    lab: RunningLab,
) -> None:
    """One refused pre-authentication: badPwdCount 1 at both ends, nothing locked."""
    assert refusal(lab, USER, "wrong") == PREAUTH_FAILED

    wait_for_directory(lab, 1)
    time.sleep(0.2)  # a few more polls: still one
    assert kdc_failures(lab, USER) == 1
    assert directory_view(lab) == {"LockedOut": False, "badPwdCount": 1}


def test_threshold_wrong_kerberos_passwords_lock_the_account_for_both(lab: RunningLab) -> None:
    """Threshold failures: Get-ADUser shows it locked, and the KDC refuses the right password."""
    limit = threshold(lab)
    for _ in range(limit):
        assert refusal(lab, USER, "wrong") == PREAUTH_FAILED

    wait_for_directory(lab, limit)
    assert directory_view(lab) == {"LockedOut": True, "badPwdCount": limit}
    assert refusal(lab, USER, PASSWORD) == CLIENT_REVOKED


def test_unlock_ad_account_unlocks_at_the_kdc_too(lab: RunningLab) -> None:
    """After a Kerberos lockout, Unlock-ADAccount over pypsrp: the right password logs on again
    and both counts are back to 0."""
    limit = threshold(lab)
    for _ in range(limit):
        refusal(lab, USER, "wrong")
    wait_for_directory(lab, limit)

    as_operator(lab, "Unlock-ADAccount", Identity=USER)

    assert kdc_failures(lab, USER) == 0
    assert logs_on(lab, USER, PASSWORD)
    assert directory_view(lab) == {"LockedOut": False, "badPwdCount": 0}


def test_the_log_reader_takes_only_failed_pre_authentications_of_its_realm() -> None:
    """PREAUTH_FAILED lines of the realm count; NEEDED_PREAUTH, LOCKED_OUT and other realms
    do not (a locked account's attempts are not counted, as in AD)."""
    line = (
        "Dec 05 01:58:27 vm krb5kdc[1](info): AS_REQ (2 etypes {...}) 127.0.0.1: {what}: "
        "{who} for krbtgt/CONTOSO.COM@CONTOSO.COM, text\n"
    )
    text = "".join(
        line.replace("{what}", what).replace("{who}", who)
        for what, who in [
            ("NEEDED_PREAUTH", f"alice@{REALM}"),
            ("PREAUTH_FAILED", f"alice@{REALM}"),
            ("LOCKED_OUT", f"alice@{REALM}"),
            ("PREAUTH_FAILED", "bob@FABRIKAM.COM"),
            ("PREAUTH_FAILED", f"Bob@{REALM}"),
        ]
    )

    assert failed_principals(text, REALM) == [f"alice@{REALM}", f"Bob@{REALM}"]
