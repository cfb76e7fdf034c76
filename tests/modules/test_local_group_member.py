"""local_group_member against the lab: members by SID, relative SID and DOMAIN\\name."""

from __future__ import annotations

import pytest

from orchestrator.commands import Command
from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError, StepError
from orchestrator.lab.backend import DomainBackend

from .conftest import Host, args, changed_then_ok, undone

GUEST = "S-1-5-21-*-501"
USERS = "S-1-5-32-545"
NS = "Microsoft.PowerShell.Commands."


def _members(host: Host) -> list[str]:
    result = host.transport().run(Command.of("Get-LocalGroupMember", SID=USERS))
    return [str(m["Name"]) for m in result.outputs]


def test_the_local_guest_joins_users_by_relative_sid(lab: DomainBackend) -> None:
    """S-1-5-21-*-501 adds CAP1's own Guest (not the domain's) to Users, once."""
    host = Host(lab, "CAP1")
    given = args("local_group_member", group_sid=USERS, members=[GUEST])
    outcome = changed_then_ok(host, "local_group_member", given)
    assert outcome.diff.summary == f"add {GUEST} to {USERS}"
    assert "CAP1\\Guest" in _members(host)
    assert "CONTOSO\\Guest" not in _members(host)


def test_a_domain_member_by_qualified_name(lab: DomainBackend) -> None:
    """CONTOSO\\labadmin is matched by its qualified name: added once, then ok."""
    host = Host(lab, "CAP1")
    given = args("local_group_member", group="Administrators", members=["CONTOSO\\labadmin"])
    changed_then_ok(host, "local_group_member", given)


def test_removing_a_member_that_is_there_and_one_that_is_not(lab: DomainBackend) -> None:
    """absent removes only the members present (no MemberNotFound for the others)."""
    host = Host(lab, "CAP1")
    given = args(
        "local_group_member",
        group="Users",
        members=["CONTOSO\\Domain Users", GUEST],
        state="absent",
    )
    outcome = changed_then_ok(host, "local_group_member", given)
    assert outcome.diff.summary == "remove CONTOSO\\Domain Users from Users"
    assert _members(host) == []


def test_undo_of_an_addition_removes_it(lab: DomainBackend) -> None:
    """Undoing the Guest's addition takes it out of Users again."""
    undone(
        Host(lab, "CAP1"),
        "local_group_member",
        args("local_group_member", group_sid=USERS, members=[GUEST]),
    )


def test_undo_of_a_removal_adds_the_member_back(lab: DomainBackend) -> None:
    """Undoing the removal of Domain Users puts it back, by its SID."""
    given = args(
        "local_group_member", group="Users", members=["CONTOSO\\Domain Users"], state="absent"
    )
    undone(Host(lab, "CAP1"), "local_group_member", given)


def test_an_unknown_principal_fails_with_principal_not_found(lab: DomainBackend) -> None:
    """A member that does not resolve: PrincipalNotFound from Add-LocalGroupMember."""
    host = Host(lab, "CAP1")
    with pytest.raises(RemoteError) as info:
        host.step(
            "local_group_member",
            args("local_group_member", group="Users", members=["CONTOSO\\nobody"]),
        )
    assert info.value.fq_error_id == "PrincipalNotFound," + NS + "AddLocalGroupMemberCommand"


def test_an_unknown_group_fails_in_the_probe(lab: DomainBackend) -> None:
    """A group that does not exist: GroupNotFound from Get-LocalGroupMember."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "CAP1").probe(
            "local_group_member", args("local_group_member", group="Nope", members=[GUEST])
        )
    assert info.value.fq_error_id == "GroupNotFound," + NS + "GetLocalGroupMemberCommand"


def test_a_relative_group_sid_is_refused(lab: DomainBackend) -> None:
    """The relative form names accounts: a group given that way is a StepError."""
    given = args("local_group_member", group_sid="S-1-5-21-*-513", members=[GUEST])
    with pytest.raises(StepError, match="give the group's name or its full SID"):
        Host(lab, "CAP1").step("local_group_member", given)


def test_a_present_member_sends_no_change(lab: DomainBackend) -> None:
    """Domain Users is in Users already: ok, and no Add-LocalGroupMember (MemberExists)."""
    host = Host(lab, "CAP1")
    outcome = host.step(
        "local_group_member",
        args("local_group_member", group="Users", members=["CONTOSO\\Domain Users"]),
    )
    assert outcome.status is Status.OK
    assert host.mutations() == []
