"""What ad_group_member and local_group_member share: the wanted members, matched by SID or
name against what the group lists, the members to add or remove, and the undo that restores
the membership the probe saw.

Each twin keeps its cmdlets (Get/Add/Remove-ADGroupMember or -LocalGroupMember), how a
member given as `S-1-5-21-*-RID` is resolved, and how a listed principal's name compares.
Both probe first because the two families disagree on an existing member: Add-ADGroupMember
is permissive by default (-DisablePermissiveModify, Microsoft Learn), Add-LocalGroupMember
raises MemberExists (Microsoft.PowerShell.LocalAccounts docs): the diff is then exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator

from orchestrator.commands import Command
from orchestrator.modules.base import State, reject_unqualified_guest
from orchestrator.modules.logic import is_sid, same_name, same_sid
from orchestrator.modules.protocol import Diff, DiffKind

MemberNames = Annotated[tuple[str, ...], AfterValidator(reject_unqualified_guest)]
"""Members as a playbook names them; a bare 'Guest' is refused (it resolves to the domain's)."""

Edit = Callable[[list[str]], Command]
"""Adds or removes these members (as the cmdlet's member parameter takes them) in one command."""


@dataclass(frozen=True)
class Member:
    """One wanted member: as given, what the member parameter gets, whether it is in the group."""

    given: str
    identity: str  # a name, or a SID (the relative form resolved)
    present: bool
    sid: str | None = None  # from the group's listing, when present

    @property
    def held(self) -> str:
        """The member as the group holds it: its SID when present, else its identity."""
        return self.sid or self.identity


@dataclass(frozen=True)
class GroupState:
    """The wanted members as the group's listing showed them."""

    group: str
    members: tuple[Member, ...]

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        return {"group": self.group, "members": [m.given for m in self.members if m.present]}


def sid_or_name(identity: str, principal: Mapping[str, Any], name: str) -> bool:
    """A SID matches the principal's SID; anything else matches `name` (case-insensitively)."""
    if is_sid(identity):
        return same_sid(identity, str(principal.get("SID", "")))
    return same_name(identity, name)


def group_state(
    group: str,
    wanted: Iterable[tuple[str, str]],
    principals: list[Mapping[str, Any]],
    matches: Callable[[str, Mapping[str, Any]], bool],
) -> GroupState:
    """Each wanted member (as given, as resolved), looked up among the group's principals."""
    members = []
    for given, identity in wanted:
        found = next((p for p in principals if matches(identity, p)), None)
        sid = str(found["SID"]) if found is not None else None
        members.append(Member(given, identity, found is not None, sid))
    return GroupState(group, tuple(members))


def changing(state: GroupState, wanted: State) -> tuple[Member, ...]:
    """The members whose presence differs from the wanted state."""
    return tuple(m for m in state.members if m.present != (wanted == "present"))


def diff(group: str, state: GroupState, wanted: State, note: str = "") -> Diff:
    """The members to add or remove; `note` follows the summary of an addition."""
    names = [m.given for m in changing(state, wanted)]
    if not names:
        return Diff(DiffKind.NONE, f"{group}: members as wanted", state.facts())
    present = state.facts()["members"]
    if wanted == "absent":
        after = [m for m in present if m not in names]
        summary = f"remove {', '.join(names)} from {group}"
    else:
        after = present + names
        summary = f"add {', '.join(names)} to {group}{note}"
    return Diff(DiffKind.CHANGE, summary, state.facts(), {**state.facts(), "members": after})


def undo(state: GroupState, wanted: State, add: Edit, remove: Edit) -> tuple[Command, ...]:
    """The inverse: remove what was added, add back (by the SID it had) what was removed."""
    members = changing(state, wanted)
    if not members:
        return ()
    if wanted == "absent":
        return (add([m.held for m in members]),)
    return (remove([m.identity for m in members]),)
