"""local_group_member: members of a local group (Users, Administrators ...).

Add-LocalGroupMember raises MemberExists and Remove-LocalGroupMember MemberNotFound
(windows-semantics §0.5), so Get-LocalGroupMember is read first. Members are matched by SID
when given as one, else by their `AUTHORITY\\name` as Get-LocalGroupMember prints it; a bare
name matches the part after the backslash (Windows resolves it domain-first on members,
§0.6: qualify it to be exact). `S-1-5-21-*-RID` is the host's own local account with that RID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from orchestrator.commands import Command
from orchestrator.errors import StepError
from orchestrator.modules.base import ArgsModel, ModuleSpec, Sid, State, reject_unqualified_guest
from orchestrator.modules.local_user import find_user, group_selector
from orchestrator.modules.logic import (
    change,
    is_sid,
    objects,
    read,
    relative_rid,
    run,
    same_name,
    same_sid,
)
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext


class Args(ArgsModel):
    """Arguments of local_group_member."""

    group: str | None = Field(None, min_length=1, description="group name, e.g. Users")
    group_sid: Sid | None = Field(None, description="group SID, e.g. S-1-5-32-545 (Users)")
    members: Annotated[tuple[str, ...], AfterValidator(reject_unqualified_guest)] = Field(
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


@dataclass(frozen=True)
class LocalMember:
    """One wanted member: as given, what -Member gets, and whether it is in the group."""

    given: str
    identity: str  # a name, or a SID (the relative form resolved)
    present: bool
    sid: str | None = None  # from Get-LocalGroupMember, when present


@dataclass(frozen=True)
class LocalGroupState:
    """The wanted members as Get-LocalGroupMember showed them."""

    group: str
    members: tuple[LocalMember, ...]

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        return {"group": self.group, "members": [m.given for m in self.members if m.present]}


def _matches(identity: str, principal: Mapping[str, Any]) -> bool:
    if is_sid(identity):
        return same_sid(identity, str(principal.get("SID", "")))
    name = str(principal.get("Name", ""))
    if "\\" in identity:
        return same_name(identity, name)
    return same_name(identity, name.rsplit("\\", 1)[-1])


def _identity(member: str) -> Logic[str]:
    """The relative SID form as the host's own account's SID; anything else as given."""
    if relative_rid(member) is None:
        return member
    user = yield from find_user(None, member)
    if user is None:
        raise StepError(f"no local account with SID {member} on this host")
    return str(user["SID"])


def _changing(args: Args, state: LocalGroupState) -> tuple[LocalMember, ...]:
    wanted = args.state == "present"
    return tuple(m for m in state.members if m.present != wanted)


def _command(verb: str, group: str, members: list[str]) -> Command:
    return change(f"{verb}-LocalGroupMember", **group_selector(group), Member=members)


class LocalGroupMember(ModuleTraits):
    """The local_group_member module."""

    name = "local_group_member"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[LocalGroupState]:
        """Get-LocalGroupMember (GroupNotFound fails the step)."""
        result = yield from run(read("Get-LocalGroupMember", **group_selector(args.group_key)))
        principals = objects(result)
        members = []
        for given in args.members:
            identity = yield from _identity(given)
            found = next((p for p in principals if _matches(identity, p)), None)
            sid = str(found["SID"]) if found is not None else None
            members.append(LocalMember(given, identity, found is not None, sid))
        return LocalGroupState(args.group_key, tuple(members))

    def diff(self, args: Args, state: LocalGroupState) -> Diff:
        """The members to add or remove."""
        changing = [m.given for m in _changing(args, state)]
        if not changing:
            return Diff(DiffKind.NONE, f"{args.group_key}: members as wanted", state.facts())
        present = state.facts()["members"]
        if args.state == "absent":
            after = [m for m in present if m not in changing]
            summary = f"remove {', '.join(changing)} from {args.group_key}"
        else:
            after = present + changing
            summary = f"add {', '.join(changing)} to {args.group_key}"
        return Diff(DiffKind.CHANGE, summary, state.facts(), {**state.facts(), "members": after})

    def apply(self, args: Args, state: LocalGroupState, _ctx: StepContext) -> Logic[None]:
        """One Add- or Remove-LocalGroupMember for the members that differ."""
        changing = _changing(args, state)
        if args.state == "absent":
            # by the SID the group holds: exact, whatever name resolution would pick
            yield from run(
                _command("Remove", args.group_key, [m.sid or m.identity for m in changing])
            )
        else:
            yield from run(_command("Add", args.group_key, [m.identity for m in changing]))

    def undo(self, args: Args, state: LocalGroupState) -> tuple[Command, ...] | None:
        """The inverse: remove what was added, add back what was removed."""
        changing = _changing(args, state)
        if not changing:
            return ()
        if args.state == "absent":
            return (_command("Add", args.group_key, [m.sid or m.identity for m in changing]),)
        return (_command("Remove", args.group_key, [m.identity for m in changing]),)


SPEC = ModuleSpec(
    "local_group_member",
    Args,
    "members of a local group",
    implementation=LocalGroupMember(),
)
