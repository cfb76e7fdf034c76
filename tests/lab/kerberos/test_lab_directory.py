"""The KDC follows the directory: accounts created, changed, disabled or deleted through the
lab's cmdlets over pypsrp log on with Kerberos (or are refused) accordingly."""

from __future__ import annotations

import krb5
import pytest

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.changes import AccountFacts, ChangeKind, diff
from orchestrator.lab.harness import RunningLab

from .winrm import (
    CLIENT_REVOKED,
    CLIENT_UNKNOWN,
    PREAUTH_FAILED,
    REALM,
    as_operator,
    close_responses,
    run,
    wsman,
)

NEW_USER = "Svc_Kerb"  # mixed case: the principal keeps it
FIRST = "Kerb-First-2026!"
SECOND = "Kerb-Second-2026!"


def logs_on(lab: RunningLab, user: str, password: str) -> bool:
    """Whether `user` logs on to DC1 with Kerberos and runs Get-Date."""
    client = wsman(lab, username=f"{user}@{REALM}", password=password)
    return len(run(client, "Get-Date")) == 1


def refusal(lab: RunningLab, user: str, password: str) -> int:
    """The KDC's error code for a Kerberos logon that must fail."""
    with pytest.raises(krb5.Krb5Error) as caught:
        logs_on(lab, user, password)
    close_responses(caught.value)
    return caught.value.err_code


def create_user(lab: RunningLab) -> None:
    """New-ADUser with a password, enabled, through pypsrp."""
    as_operator(
        lab, "New-ADUser", Name=NEW_USER, SamAccountName=NEW_USER, secure_AccountPassword=FIRST,
        Enabled=True,
    )  # fmt: skip


def test_a_user_created_through_a_cmdlet_logs_on_with_kerberos(lab: RunningLab) -> None:
    """New-ADUser over pypsrp adds the principal, in its exact case, with its password."""
    assert refusal(lab, NEW_USER, FIRST) == CLIENT_UNKNOWN

    create_user(lab)

    assert logs_on(lab, NEW_USER, FIRST)


def test_a_disabled_account_is_refused_by_the_kdc_until_enabled(lab: RunningLab) -> None:
    """Disable-ADAccount: the right password is refused (revoked); Enable-ADAccount: it works."""
    create_user(lab)

    as_operator(lab, "Disable-ADAccount", Identity=NEW_USER)
    assert refusal(lab, NEW_USER, FIRST) == CLIENT_REVOKED

    as_operator(lab, "Enable-ADAccount", Identity=NEW_USER)
    assert logs_on(lab, NEW_USER, FIRST)


def test_after_a_password_reset_the_new_password_works_and_the_old_one_does_not(
    lab: RunningLab,
) -> None:
    """Set-ADAccountPassword -Reset changes the principal's key at once."""
    create_user(lab)

    as_operator(
        lab, "Set-ADAccountPassword", Identity=NEW_USER, Reset=True, secure_NewPassword=SECOND
    )

    assert logs_on(lab, NEW_USER, SECOND)
    assert refusal(lab, NEW_USER, FIRST) == PREAUTH_FAILED


def test_a_deleted_account_is_unknown_to_the_kdc(lab: RunningLab) -> None:
    """Remove-ADUser -Confirm:$false deletes the principal."""
    create_user(lab)
    assert logs_on(lab, NEW_USER, FIRST)

    as_operator(lab, "Remove-ADUser", Identity=NEW_USER, Confirm=False)

    assert refusal(lab, NEW_USER, FIRST) == CLIENT_UNKNOWN


def test_a_user_created_disabled_is_a_principal_that_cannot_log_on(lab: RunningLab) -> None:
    """New-ADUser without -Enabled: the principal exists but is refused, as the account is."""
    as_operator(
        lab, "New-ADUser", Name=NEW_USER, SamAccountName=NEW_USER, secure_AccountPassword=FIRST
    )

    assert refusal(lab, NEW_USER, FIRST) == CLIENT_REVOKED


def _facts(name: str, password: str = "pw", **changes: object) -> AccountFacts:
    values: dict[str, object] = {
        "enabled": True,
        "locks_out": True,
        "locked": False,
        "bad_count": 0,
    }
    values.update(changes)
    return AccountFacts(name, SecureString(password), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after", "kinds"),
    [
        ({}, {"s1": _facts("a")}, [ChangeKind.CREATED]),
        ({"s1": _facts("a")}, {}, [ChangeKind.DELETED]),
        ({"s1": _facts("a")}, {"s1": _facts("b")}, [ChangeKind.DELETED, ChangeKind.CREATED]),
        ({"s1": _facts("a")}, {"s1": _facts("a", "new")}, [ChangeKind.PASSWORD_SET]),
        ({"s1": _facts("a")}, {"s1": _facts("a", enabled=False)}, [ChangeKind.DISABLED]),
        ({"s1": _facts("a", enabled=False)}, {"s1": _facts("a")}, [ChangeKind.ENABLED]),
        ({"s1": _facts("a", locked=True, bad_count=3)}, {"s1": _facts("a")}, [ChangeKind.UNLOCKED]),
        ({"s1": _facts("a")}, {"s1": _facts("a", bad_count=1)}, []),
        ({"s1": _facts("a")}, {"s1": _facts("a")}, []),
    ],
)
def test_the_directory_diff_names_each_change_once(
    before: dict[str, AccountFacts], after: dict[str, AccountFacts], kinds: list[ChangeKind]
) -> None:
    """Created, deleted (a rename is both), password set, enabled/disabled, unlocked; a failed
    logon alone (badPwdCount up) is no change for the KDC, which counted it itself."""
    assert [change.kind for change in diff(before, after)] == kinds
