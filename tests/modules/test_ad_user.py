"""ad_user against the lab's directory: creation with a secret, the domain Guest, deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError, StepError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.base import ArgsModel
from orchestrator.secrets import Secret

from .conftest import Host, args, changed_then_ok, undone

CANARY = "Canary-Pass-2000!"
AD = "Microsoft.ActiveDirectory.Management."
NOT_FOUND = "ActiveDirectoryCmdlet:" + AD + "ADIdentityNotFoundException"


def _new_account(**extra: object) -> ArgsModel:
    return args(
        "ad_user",
        name="SMSClient2_TB1",
        state="present",
        password=Secret(CANARY),
        enabled=True,
        password_never_expires=True,
        **extra,
    )


def test_creating_a_connection_account(lab: DomainBackend) -> None:
    """New-ADUser creates it enabled, never expiring, with its password; a rerun is ok."""
    host = Host(lab, "DC1")
    outcome = changed_then_ok(host, "ad_user", _new_account(description="TB1 clients"))
    assert outcome.diff.summary == "create AD user SMSClient2_TB1"
    account = lab.ad_account("SMSClient2_TB1")
    assert account is not None
    assert account.enabled
    new = next(c for c in host.sent if c.cmdlet == "New-ADUser")
    assert new.describe() == (
        "New-ADUser -Name 'SMSClient2_TB1' -SamAccountName 'SMSClient2_TB1' -AccountPassword"
        " (SecureString) -Enabled:$true -PasswordNeverExpires:$true -Description 'TB1 clients'"
        " -ErrorAction 'Stop'"
    )
    assert CANARY not in repr(outcome)


def test_undo_of_a_creation_removes_the_account(lab: DomainBackend) -> None:
    """The undo is Remove-ADUser -Confirm:$false, and a new probe finds no account."""
    host = Host(lab, "DC1")
    undone(host, "ad_user", _new_account())
    assert lab.ad_account("SMSClient2_TB1") is None


def test_a_rejected_password_leaves_the_account_behind_and_says_so(lab: DomainBackend) -> None:
    """New-ADUser creates the account before its password fails (1325): the error says so."""
    host = Host(lab, "DC1")
    with pytest.raises(RemoteError) as info:
        host.step(
            "ad_user",
            args("ad_user", name="weak1", state="present", password=Secret("short"), enabled=True),
        )
    assert info.value.fq_error_id == "ActiveDirectoryServer:1325," + AD + "Commands.NewADUser"
    assert "created weak1 before the password was rejected" in str(info.value)
    assert "short" not in str(info.value)
    account = lab.ad_account("weak1")
    assert account is not None
    assert not account.enabled


def test_enabling_the_domain_guest_by_relative_sid(lab: DomainBackend) -> None:
    """S-1-5-21-*-501 resolves through DomainSID: the domain Guest is enabled, once."""
    host = Host(lab, "DC1")
    outcome = changed_then_ok(host, "ad_user", args("ad_user", sid="S-1-5-21-*-501", enabled=True))
    assert outcome.diff.summary == "enable Guest"
    guest = lab.ad_account("Guest")
    assert guest is not None
    assert guest.enabled


def test_undo_restores_the_guest_and_settings(lab: DomainBackend) -> None:
    """Undo disables Guest and restores PasswordNeverExpires and the description."""
    given = args(
        "ad_user",
        sid="S-1-5-21-*-501",
        enabled=True,
        password_never_expires=True,
        description="open for Q236052",
    )
    undone(Host(lab, "DC1"), "ad_user", given)


def test_deleting_the_old_account_cannot_be_undone(lab: DomainBackend) -> None:
    """absent sends Remove-ADUser -Confirm:$false; the undo is None; a rerun is ok."""
    host = Host(lab, "DC1")
    outcome = changed_then_ok(
        host, "ad_user", args("ad_user", name="SMSClient_TB1", state="absent")
    )
    assert outcome.undo is None
    assert lab.ad_account("SMSClient_TB1") is None
    assert "-Confirm:$false" in host.mutations()[0]


def test_unlocking_a_locked_out_account(lab: DomainBackend) -> None:
    """unlocked: true runs Unlock-ADAccount only while LockedOut is true."""
    for _ in range(20):
        lab.advance(timedelta(seconds=10))
    account = lab.ad_account("SMSClient_TB1")
    assert account is not None
    assert account.locked_out
    host = Host(lab, "DC1")
    outcome = changed_then_ok(host, "ad_user", args("ad_user", name="SMSClient_TB1", unlocked=True))
    assert outcome.diff.summary == "unlock SMSClient_TB1"
    assert outcome.undo == ()


def test_an_unknown_identity_by_sid_cannot_be_created(lab: DomainBackend) -> None:
    """A missing account named by SID: StepError (accounts are created by name)."""
    with pytest.raises(StepError, match="created by name"):
        Host(lab, "DC1").step("ad_user", args("ad_user", sid="S-1-5-21-*-9999", enabled=True))


def test_a_missing_account_probes_as_absent(lab: DomainBackend) -> None:
    """ADIdentityNotFound (terminating) means absent: deleting it is ok, nothing sent."""
    host = Host(lab, "DC1")
    outcome = host.step("ad_user", args("ad_user", name="nobody", state="absent"))
    assert outcome.status is Status.OK
    assert host.mutations() == []


def test_removing_while_it_vanished_fails_with_identity_not_found(lab: DomainBackend) -> None:
    """An account deleted between probe and apply: ADIdentityNotFound from Remove-ADUser."""
    host = Host(lab, "DC1")
    given = args("ad_user", name="SMSClient_TB1", state="absent")
    state = host.probe("ad_user", given)
    host.step("ad_user", given)
    with pytest.raises(RemoteError) as info:
        host.apply("ad_user", given, state)
    assert info.value.fq_error_id == NOT_FOUND + "," + AD + "Commands.RemoveADUser"


def test_unlocking_a_deleted_account_never_creates_it(lab: DomainBackend) -> None:
    """`unlocked: true` on an account deleted on purpose: nothing to do, it stays deleted."""
    host = Host(lab, "DC1")
    host.step("ad_user", args("ad_user", name="SMSClient_TB1", state="absent"))
    outcome = host.step("ad_user", args("ad_user", name="SMSClient_TB1", unlocked=True))
    assert outcome.status is Status.OK
    assert "not created" in outcome.diff.summary
    assert lab.ad_account("SMSClient_TB1") is None


def test_creating_needs_state_present_and_a_password(lab: DomainBackend) -> None:
    """A password without `state: present` creates nothing and says what is missing."""
    host = Host(lab, "DC1")
    given = args("ad_user", name="New_TB1", password=Secret("Lab-New-2000!x"), enabled=True)
    with pytest.raises(StepError, match="to create it, say 'state: present'"):
        host.step("ad_user", given)
    assert lab.ad_account("New_TB1") is None
