"""local_user against the lab: Guest by relative SID, creation with a secret, memberships."""

from __future__ import annotations

import pytest

from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError, StepError
from orchestrator.lab.backend import DomainBackend
from orchestrator.secrets import Secret

from .conftest import Host, args, changed_then_ok, undone

GUEST = "S-1-5-21-*-501"
USERS = "S-1-5-32-545"
CANARY = "Canary-Pass-2000!"


def test_enabling_the_local_guest_and_adding_it_to_users(lab: DomainBackend) -> None:
    """The local Guest (by relative SID) is enabled and put in Users once; a rerun is ok."""
    host = Host(lab, "CAP1")
    outcome = changed_then_ok(
        host, "local_user", args("local_user", sid=GUEST, enabled=True, groups=[USERS])
    )
    assert outcome.diff.summary == f"enable Guest; add Guest to {USERS}"
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    assert guest.enabled
    assert outcome.diff.before["enabled"] is False
    assert outcome.diff.after == {**outcome.diff.before, "enabled": True, "groups": [USERS]}


def test_the_relative_sid_is_the_hosts_own_guest(lab: DomainBackend) -> None:
    """S-1-5-21-*-501 on a member server is its local Guest, not the domain's."""
    state = Host(lab, "CAP1").probe("local_user", args("local_user", sid=GUEST))
    local, domain = lab.local_account("CAP1", "Guest"), lab.ad_account("Guest")
    assert local is not None
    assert domain is not None
    assert state.sid == local.sid != domain.sid


def test_undo_restores_enabled_state_and_memberships(lab: DomainBackend) -> None:
    """Undo disables Guest again and takes it out of Users: a new probe sees the old state."""
    undone(
        Host(lab, "CAP1"), "local_user", args("local_user", sid=GUEST, enabled=True, groups=[USERS])
    )


def test_creating_an_account_with_a_secret_password(lab: DomainBackend) -> None:
    """A new account is created with its secret password; no secret shows in diff or undo."""
    host = Host(lab, "CAP1")
    given = args(
        "local_user", name="svc1", password=Secret(CANARY), groups=["Users"], description="d"
    )
    outcome = changed_then_ok(host, "local_user", given)
    assert outcome.diff.summary == "create local user svc1; add svc1 to Users"
    assert CANARY not in repr(outcome)
    assert lab.local_account("CAP1", "svc1") is not None
    assert [c.describe() for c in outcome.undo or ()] == [
        "Remove-LocalUser -Name 'svc1' -ErrorAction 'Stop'"
    ]


def test_undo_of_a_creation_deletes_the_account(lab: DomainBackend) -> None:
    """Undoing a creation removes the account again."""
    undone(
        Host(lab, "CAP1"), "local_user", args("local_user", name="svc2", password=Secret(CANARY))
    )
    assert lab.local_account("CAP1", "svc2") is None


def test_deleting_an_account_cannot_be_undone(lab: DomainBackend) -> None:
    """state: absent removes the account; its undo is None; a second run is ok."""
    host = Host(lab, "CAP1")
    host.step("local_user", args("local_user", name="svc3", password=Secret(CANARY)))
    outcome = changed_then_ok(host, "local_user", args("local_user", name="svc3", state="absent"))
    assert outcome.undo is None
    assert lab.local_account("CAP1", "svc3") is None


def test_a_rejected_password_fails_with_invalid_password(lab: DomainBackend) -> None:
    """A password the policy refuses: InvalidPassword, and the account is not created."""
    host = Host(lab, "CAP1")
    with pytest.raises(RemoteError) as info:
        host.step("local_user", args("local_user", name="svc4", password=Secret("short")))
    assert info.value.fq_error_id == (
        "InvalidPassword,Microsoft.PowerShell.Commands.NewLocalUserCommand"
    )
    assert "short" not in str(info.value)
    assert lab.local_account("CAP1", "svc4") is None


def test_an_unknown_group_fails_in_the_probe(lab: DomainBackend) -> None:
    """A group that does not exist: GroupNotFound already while probing."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "CAP1").probe("local_user", args("local_user", sid=GUEST, groups=["Nope"]))
    assert info.value.fq_error_id.startswith("GroupNotFound,")


def test_a_missing_account_without_password_cannot_be_created(lab: DomainBackend) -> None:
    """A missing account and no password: a StepError naming what is missing."""
    with pytest.raises(StepError, match="needs a 'password'"):
        Host(lab, "CAP1").step("local_user", args("local_user", name="ghost", enabled=True))


def test_disabling_an_already_disabled_account_is_ok(lab: DomainBackend) -> None:
    """Guest is disabled already: no change, and no mutating command is sent."""
    host = Host(lab, "CAP1")
    outcome = host.step("local_user", args("local_user", sid=GUEST, enabled=False))
    assert outcome.status is Status.OK
    assert host.mutations() == []
