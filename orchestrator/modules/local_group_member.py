"""local_group_member: members of a local group (Users, Administrators ...).

Add-LocalGroupMember raises MemberExists and Remove-LocalGroupMember MemberNotFound
(Microsoft.PowerShell.LocalAccounts docs), so Get-LocalGroupMember is read first and the diff
is exact (orchestrator.modules.membership). Members are matched by SID when given as one,
else by their `AUTHORITY\\name` as Get-LocalGroupMember prints it; a bare name matches the
part after the backslash (on a domain member Windows resolves it to the domain's account
first: Add-LocalGroupMember, Microsoft Learn; qualify it to be exact). `S-1-5-21-*-RID` is
the host's own local account with that RID.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import Command
from orchestrator.errors import StepError
from orchestrator.modules import membership
from orchestrator.modules.base import ArgsModel, ModuleSpec, Sid, State
from orchestrator.modules.local_user import find_user, group_selector
from orchestrator.modules.logic import change, objects, read, relative_rid, run
from orchestrator.modules.protocol import Diff, Logic, ModuleTraits, StepContext


class Args(ArgsModel):
    """Arguments of local_group_member."""

    group: str | None = Field(None, min_length=1, description="group name, e.g. Users")
    group_sid: Sid | None = Field(None, description="group SID, e.g. S-1-5-32-545 (Users)")
    members: membership.MemberNames = Field(
        min_length=1, description="members as DOMAIN\\name, COMPUTER\\name or SID"
    )
    state: State = "present"

    @model_validator(mode="after")
    def _one_group(self) -> Self:
        if (self.group is None) == (self.group_sid is None):
            raise ValueError("give exactly one of 'group' or 'group_sid'")
        return self

    @property
    def group_key(self) -> str:
        """The group as given: its name or SID."""
        return self.group or self.group_sid or ""


def _matches(identity: str, principal: Mapping[str, Any]) -> bool:
    name = str(principal.get("Name", ""))  # AUTHORITY\name
    if "\\" not in identity:
        name = name.rsplit("\\", 1)[-1]  # a bare name: the part after the backslash
    return membership.sid_or_name(identity, principal, name)


def _identity(member: str) -> Logic[str]:
    """The relative SID form as the host's own account's SID; anything else as given."""
    if relative_rid(member) is None:
        return member
    user = yield from find_user(None, member)
    if user is None:
        raise StepError(f"no local account with SID {member} on this host")
    return str(user["SID"])


def _command(verb: str, group: str, members: list[str]) -> Command:
    return change(f"{verb}-LocalGroupMember", **group_selector(group), Member=members)


class LocalGroupMember(ModuleTraits):
    """The local_group_member module."""

    name = "local_group_member"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[membership.GroupState]:
        """Get-LocalGroupMember (GroupNotFound fails the step), then each relative SID."""
        result = yield from run(read("Get-LocalGroupMember", **group_selector(args.group_key)))
        wanted = []
        for given in args.members:
            identity = yield from _identity(given)
            wanted.append((given, identity))
        return membership.group_state(args.group_key, wanted, objects(result), _matches)

    def diff(self, args: Args, state: membership.GroupState) -> Diff:
        """The members to add or remove."""
        return membership.diff(args.group_key, state, args.state)

    def apply(self, args: Args, state: membership.GroupState, _ctx: StepContext) -> Logic[None]:
        """One Add- or Remove-LocalGroupMember for the members that differ."""
        members = membership.changing(state, args.state)
        if args.state == "absent":
            # by the SID the group holds: exact, whatever name resolution would pick
            yield from run(_command("Remove", args.group_key, [m.held for m in members]))
        else:
            yield from run(_command("Add", args.group_key, [m.identity for m in members]))

    def undo(self, args: Args, state: membership.GroupState) -> tuple[Command, ...] | None:
        """The inverse: remove what was added, add back what was removed."""
        group = args.group_key
        return membership.undo(
            state, args.state, partial(_command, "Add", group), partial(_command, "Remove", group)
        )


SPEC = ModuleSpec(
    "local_group_member",
    Args,
    "members of a local group",
    implementation=LocalGroupMember(),
)
