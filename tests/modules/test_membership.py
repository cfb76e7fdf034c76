"""The membership logic ad_group_member and local_group_member share, without a host."""

from __future__ import annotations

from orchestrator.commands import Command
from orchestrator.modules import membership
from orchestrator.modules.logic import change
from orchestrator.modules.membership import GroupState, Member
from orchestrator.modules.protocol import DiffKind

STATE = GroupState(
    "Users",
    (
        Member("CONTOSO\\alice", "CONTOSO\\alice", True, "S-1-5-21-7-1105"),
        Member("S-1-5-21-*-501", "S-1-5-21-9-501", False),
    ),
)


def _edit(verb: str) -> membership.Edit:
    return lambda members: change(f"{verb}-LocalGroupMember", Name="Users", Member=members)


def _shown(commands: tuple[Command, ...]) -> list[str]:
    return [c.describe() for c in commands]


def test_an_addition_names_only_the_missing_members_with_its_note() -> None:
    """present adds the members not in the group; the note follows the summary."""
    diff = membership.diff("Users", STATE, "present", " for 2h (PAM TTL)")
    assert diff.kind is DiffKind.CHANGE
    assert diff.summary == "add S-1-5-21-*-501 to Users for 2h (PAM TTL)"
    assert diff.after["members"] == ["CONTOSO\\alice", "S-1-5-21-*-501"]


def test_a_removal_leaves_out_the_note() -> None:
    """absent removes only the members present, and says nothing of a note."""
    diff = membership.diff("Users", STATE, "absent", " (unused)")
    assert diff.summary == "remove CONTOSO\\alice from Users"
    assert diff.after["members"] == []


def test_undo_adds_back_by_the_sid_the_group_held() -> None:
    """The undo of a removal adds the member back by its SID, not by the name given."""
    undo = membership.undo(STATE, "absent", _edit("Add"), _edit("Remove"))
    assert _shown(undo) == [
        "Add-LocalGroupMember -Name 'Users' -Member 'S-1-5-21-7-1105' -ErrorAction 'Stop'"
    ]


def test_undo_removes_what_was_added_by_its_resolved_identity() -> None:
    """The undo of an addition removes the member as it was added; nothing to undo is ()."""
    undo = membership.undo(STATE, "present", _edit("Add"), _edit("Remove"))
    assert _shown(undo) == [
        "Remove-LocalGroupMember -Name 'Users' -Member 'S-1-5-21-9-501' -ErrorAction 'Stop'"
    ]
    assert membership.undo(GroupState("Users", ()), "present", _edit("Add"), _edit("Remove")) == ()
