"""ad_group_member against the lab's directory: Guest in Domain Users, PAM TTLs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.commands import Command
from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.ad_group_member import AdGroupMember
from orchestrator.modules.ad_user import AdUser

from .conftest import Host, args, changed_then_ok, undone

GUEST = "S-1-5-21-*-501"
AD = "Microsoft.ActiveDirectory.Management."


def _members(host: Host, group: str = "Domain Users") -> list[str]:
    result = host.transport().run(Command.of("Get-ADGroupMember", Identity=group))
    return [str(m["SamAccountName"]) for m in result.outputs]


def test_the_domain_guest_joins_domain_users(lab: DomainBackend) -> None:
    """Add-ADGroupMember with Guest's SID (via DomainSID); a rerun is ok (no permissive add)."""
    host = Host(lab, "DC1")
    given = args("ad_group_member", group="Domain Users", members=[GUEST])
    outcome = changed_then_ok(host, "ad_group_member", given)
    assert outcome.diff.summary == f"add {GUEST} to Domain Users"
    assert _members(host) == ["Guest"]
    assert sum(c.cmdlet == "Add-ADGroupMember" for c in host.sent) == 1


def test_undo_of_an_addition_removes_it_without_a_prompt(lab: DomainBackend) -> None:
    """The undo is Remove-ADGroupMember -Confirm:$false; the group is as before."""
    host = Host(lab, "DC1")
    given = args("ad_group_member", group="Domain Users", members=[GUEST, "labadmin"])
    undone(host, "ad_group_member", given)
    assert _members(host) == []


def test_removal_by_name_and_its_undo(lab: DomainBackend) -> None:
    """absent removes a member named by sAMAccountName; the undo adds it back by SID."""
    host = Host(lab, "DC1")
    given = args("ad_group_member", group="Domain Admins", members=["labadmin"], state="absent")
    before = host.probe("ad_group_member", given)
    outcome = changed_then_ok(host, "ad_group_member", given)
    assert "labadmin" not in _members(host, "Domain Admins")
    host.undo(outcome.undo)
    assert host.probe("ad_group_member", given) == before


def test_a_ttl_membership_expires_on_its_own(lab: DomainBackend) -> None:
    """member_ttl becomes -MemberTimeToLive; with PAM the link is gone after the TTL."""
    with lab.inspect() as state:
        state.ad.pam_enabled = True
    host = Host(lab, "DC1")
    given = args("ad_group_member", group="Domain Users", members=[GUEST], member_ttl="2h")
    outcome = host.step("ad_group_member", given)
    assert outcome.status is Status.CHANGED
    assert outcome.diff.summary.endswith("for 2h (PAM TTL)")
    add = next(c for c in host.sent if c.cmdlet == "Add-ADGroupMember")
    assert add.param("MemberTimeToLive") == "0.02:00:00"
    lab.advance(timedelta(hours=2, seconds=1))
    assert _members(host) == []


def test_a_ttl_without_pam_fails_with_the_directorys_error(lab: DomainBackend) -> None:
    """Without the PAM feature the directory refuses a TTL'd link (lab's [U] error id)."""
    given = args("ad_group_member", group="Domain Users", members=[GUEST], member_ttl="2h")
    with pytest.raises(RemoteError) as info:
        Host(lab, "DC1").step("ad_group_member", given)
    assert (
        info.value.fq_error_id == "ActiveDirectoryServer:8245," + AD + "Commands.AddADGroupMember"
    )


def test_an_unknown_member_fails_and_adds_nothing(lab: DomainBackend) -> None:
    """One unknown member: ValidateMembersParameter, and the other member is not added."""
    host = Host(lab, "DC1")
    given = args("ad_group_member", group="Domain Users", members=["labadmin", "nobody"])
    with pytest.raises(RemoteError) as info:
        host.step("ad_group_member", given)
    assert info.value.fq_error_id == (
        "SetADGroupMember.ValidateMembersParameter," + AD + "Commands.AddADGroupMember"
    )
    assert _members(host) == []


def test_an_unknown_group_fails_in_the_probe(lab: DomainBackend) -> None:
    """A missing group: the terminating ADIdentityNotFound of Get-ADGroupMember."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "DC1").probe(
            "ad_group_member", args("ad_group_member", group="Nope", members=[GUEST])
        )
    assert info.value.fq_error_id.startswith(
        "ActiveDirectoryCmdlet:" + AD + "ADIdentityNotFoundException,"
    )


def test_ad_errors_a_retry_may_cure() -> None:
    """ADWS being unreachable is the one transient AD error; a missing identity is not."""
    assert AdGroupMember.transient_errors == frozenset({"ActiveDirectoryServer:0"})
    assert AdUser.transient_errors == AdGroupMember.transient_errors
