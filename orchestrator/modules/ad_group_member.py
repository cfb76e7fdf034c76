"""ad_group_member: members of an AD group, optionally with a PAM time-to-live.

Add/Remove-ADGroupMember are permissive by default (no error for an existing member or a
non-member) and Remove prompts unless -Confirm:$false (windows-semantics §0.5, §0.7), so the
probe reads Get-ADGroupMember first and the diff is exact. Get-ADGroupMember lists `member`
links only (not primary-group members) and never shows TTLs (§1.2): an existing membership
is left as it is, with whatever TTL it has. `member_ttl` needs the PAM optional feature (S11).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from orchestrator.commands import Command
from orchestrator.durations import Duration, format_duration
from orchestrator.modules.ad_user import domain_sid
from orchestrator.modules.base import ArgsModel, ModuleSpec, State, reject_unqualified_guest
from orchestrator.modules.logic import (
    AD_SERVER_DOWN,
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
    """Arguments of ad_group_member."""

    group: str = Field(min_length=1, description="group identity, e.g. 'Domain Users'")
    members: Annotated[tuple[str, ...], AfterValidator(reject_unqualified_guest)] = Field(
        min_length=1, description="members by sAMAccountName or SID (S-1-5-21-*-501: Guest)"
    )
    state: State = "present"
    member_ttl: Duration | None = Field(
        None, description="-MemberTimeToLive: the DCs end the membership themselves (needs PAM)"
    )

    @model_validator(mode="after")
    def _ttl_only_when_adding(self) -> Self:
        if self.member_ttl is not None and self.state == "absent":
            raise ValueError("'member_ttl' applies only when adding members")
        if self.member_ttl is not None and self.member_ttl < timedelta(seconds=1):
            raise ValueError("'member_ttl' must be at least 1s")
        return self


@dataclass(frozen=True)
class AdMember:
    """One wanted member: as given, what -Members gets, and whether it is in the group."""

    given: str
    identity: str  # sAMAccountName or SID (the relative form resolved)
    present: bool
    sid: str | None = None  # from Get-ADGroupMember, when present


@dataclass(frozen=True)
class AdGroupState:
    """The wanted members as Get-ADGroupMember showed them."""

    group: str
    members: tuple[AdMember, ...]

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        return {"group": self.group, "members": [m.given for m in self.members if m.present]}


def _matches(identity: str, principal: Mapping[str, Any]) -> bool:
    if is_sid(identity):
        return same_sid(identity, str(principal.get("SID", "")))
    return same_name(identity, str(principal.get("SamAccountName", "")))


def _identities(members: tuple[str, ...]) -> Logic[list[str]]:
    """Each member as -Members takes it; the relative SID form through DomainSID."""
    if not any(relative_rid(m) is not None for m in members):
        return list(members)
    domain = yield from domain_sid()
    return [f"{domain}-{rid}" if (rid := relative_rid(m)) is not None else m for m in members]


def _changing(args: Args, state: AdGroupState) -> tuple[AdMember, ...]:
    wanted = args.state == "present"
    return tuple(m for m in state.members if m.present != wanted)


def timespan_text(value: timedelta) -> str:
    """A TimeSpan as PowerShell's binder parses it from text: `d.hh:mm:ss`."""
    minutes, seconds = divmod(int(value.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}.{hours:02d}:{minutes:02d}:{seconds:02d}"


def _add(group: str, identities: list[str], ttl: timedelta | None = None) -> Command:
    # the TTL travels as text (the binder converts it): commands stay plain, JSON-able data
    text = None if ttl is None else timespan_text(ttl)
    return change("Add-ADGroupMember", Identity=group, Members=identities, MemberTimeToLive=text)


def _remove(group: str, identities: list[str]) -> Command:
    # ConfirmImpact High: prompts (and fails over remoting) unless -Confirm:$false (§0.7)
    return change("Remove-ADGroupMember", Identity=group, Members=identities, Confirm=False)


class AdGroupMember(ModuleTraits):
    """The ad_group_member module."""

    name = "ad_group_member"
    transient_errors = frozenset({AD_SERVER_DOWN})

    def probe(self, args: Args, _ctx: StepContext) -> Logic[AdGroupState]:
        """Get-ADGroupMember (ADIdentityNotFound for a missing group fails the step)."""
        identities = yield from _identities(args.members)
        result = yield from run(read("Get-ADGroupMember", Identity=args.group))
        principals = objects(result)
        members = []
        for given, identity in zip(args.members, identities, strict=True):
            found = next((p for p in principals if _matches(identity, p)), None)
            sid = str(found["SID"]) if found is not None else None
            members.append(AdMember(given, identity, found is not None, sid))
        return AdGroupState(args.group, tuple(members))

    def diff(self, args: Args, state: AdGroupState) -> Diff:
        """The members to add or remove."""
        changing = [m.given for m in _changing(args, state)]
        if not changing:
            return Diff(DiffKind.NONE, f"{args.group}: members as wanted", state.facts())
        present = state.facts()["members"]
        if args.state == "absent":
            after = [m for m in present if m not in changing]
            summary = f"remove {', '.join(changing)} from {args.group}"
        else:
            after = present + changing
            summary = f"add {', '.join(changing)} to {args.group}"
            if args.member_ttl is not None:
                summary += f" for {format_duration(args.member_ttl)} (PAM TTL)"
        return Diff(DiffKind.CHANGE, summary, state.facts(), {**state.facts(), "members": after})

    def apply(self, args: Args, state: AdGroupState, _ctx: StepContext) -> Logic[None]:
        """One Add-ADGroupMember (with -MemberTimeToLive) or Remove-ADGroupMember."""
        changing = [m.identity for m in _changing(args, state)]
        if args.state == "absent":
            yield from run(_remove(args.group, changing))
        else:
            yield from run(_add(args.group, changing, args.member_ttl))

    def undo(self, args: Args, state: AdGroupState) -> tuple[Command, ...] | None:
        """The inverse: remove what was added, add back (without TTL) what was removed."""
        changing = _changing(args, state)
        if not changing:
            return ()
        if args.state == "absent":
            return (_add(args.group, [m.sid or m.identity for m in changing]),)
        return (_remove(args.group, [m.identity for m in changing]),)


SPEC = ModuleSpec(
    "ad_group_member",
    Args,
    "members of an AD group (with a PAM TTL)",
    implementation=AdGroupMember(),
)
