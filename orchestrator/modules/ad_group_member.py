"""ad_group_member: members of an AD group, optionally with a PAM time-to-live.

Add/Remove-ADGroupMember are permissive by default (no error for an existing member or a
non-member: -DisablePermissiveModify, Microsoft Learn), and Remove-ADGroupMember prompts
unless -Confirm:$false (ConfirmImpact High; about_Preference_Variables), so the probe reads
Get-ADGroupMember first and the diff is exact (orchestrator.modules.membership). It lists
`member` links only, not primary-group members (a user's primary group is its primaryGroupID:
Primary-Group-ID attribute, Microsoft Learn), and never shows TTLs (Get-ADGroup
-ShowMemberTimeToLive does): an existing membership is left as it is, with whatever TTL it
has. `member_ttl` needs the Privileged Access Management optional feature (Privileged Access
Management for AD DS, Microsoft Learn).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import Command
from orchestrator.durations import Duration, format_duration
from orchestrator.modules import membership
from orchestrator.modules.ad_user import domain_sid
from orchestrator.modules.base import ArgsModel, ModuleSpec, State
from orchestrator.modules.logic import AD_SERVER_DOWN, change, objects, read, relative_rid, run
from orchestrator.modules.protocol import Diff, Logic, ModuleTraits, StepContext


class Args(ArgsModel):
    """Arguments of ad_group_member."""

    group: str = Field(min_length=1, description="group identity, e.g. 'Domain Users'")
    members: membership.MemberNames = Field(
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


def _matches(identity: str, principal: Mapping[str, Any]) -> bool:
    return membership.sid_or_name(identity, principal, str(principal.get("SamAccountName", "")))


def _identities(members: tuple[str, ...]) -> Logic[list[str]]:
    """Each member as -Members takes it; the relative SID form through DomainSID."""
    if not any(relative_rid(m) is not None for m in members):
        return list(members)
    domain = yield from domain_sid()
    return [f"{domain}-{rid}" if (rid := relative_rid(m)) is not None else m for m in members]


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
    # ConfirmImpact High: without -Confirm:$false it prompts, and a remote session cannot
    # answer a prompt (about_Preference_Variables, $ConfirmPreference)
    return change("Remove-ADGroupMember", Identity=group, Members=identities, Confirm=False)


class AdGroupMember(ModuleTraits):
    """The ad_group_member module."""

    name = "ad_group_member"
    transient_errors = frozenset({AD_SERVER_DOWN})

    def probe(self, args: Args, _ctx: StepContext) -> Logic[membership.GroupState]:
        """Get-ADGroupMember (ADIdentityNotFound for a missing group fails the step)."""
        identities = yield from _identities(args.members)
        result = yield from run(read("Get-ADGroupMember", Identity=args.group))
        wanted = zip(args.members, identities, strict=True)
        return membership.group_state(args.group, wanted, objects(result), _matches)

    def diff(self, args: Args, state: membership.GroupState) -> Diff:
        """The members to add or remove (an addition with its PAM TTL)."""
        ttl = args.member_ttl
        note = "" if ttl is None else f" for {format_duration(ttl)} (PAM TTL)"
        return membership.diff(args.group, state, args.state, note)

    def apply(self, args: Args, state: membership.GroupState, _ctx: StepContext) -> Logic[None]:
        """One Add-ADGroupMember (with -MemberTimeToLive) or Remove-ADGroupMember."""
        identities = [m.identity for m in membership.changing(state, args.state)]
        if args.state == "absent":
            yield from run(_remove(args.group, identities))
        else:
            yield from run(_add(args.group, identities, args.member_ttl))

    def undo(self, args: Args, state: membership.GroupState) -> tuple[Command, ...] | None:
        """The inverse: remove what was added, add back (without TTL) what was removed."""
        return membership.undo(
            state, args.state, partial(_add, args.group), partial(_remove, args.group)
        )


SPEC = ModuleSpec(
    "ad_group_member",
    Args,
    "members of an AD group (with a PAM TTL)",
    implementation=AdGroupMember(),
)
