"""local_user: a local account on a member server or workstation (by name or SID).

The local Guest is addressed as `S-1-5-21-*-501`: its name is localised (and can be renamed
by policy) and, on a domain member, an unqualified "Guest" resolves to the domain Guest
(Add-LocalGroupMember, Microsoft Learn), so the probe enumerates Get-LocalUser and picks the
account whose SID ends in -501 (the well-known Guest RID: Security identifiers, Microsoft
Learn). Enable/Disable-LocalUser are silent no-ops when already in state, but
Add-LocalGroupMember raises MemberExists (Microsoft.PowerShell.LocalAccounts docs), so
memberships are read first. The shared account logic is orchestrator.modules.accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import SWITCH, Command
from orchestrator.errors import StepError
from orchestrator.modules import accounts
from orchestrator.modules.base import ModuleSpec, SecretArg, Sid, irreversible_when_absent
from orchestrator.modules.logic import (
    change,
    first,
    has_rid,
    is_sid,
    objects,
    read,
    relative_rid,
    run,
    same_sid,
)
from orchestrator.modules.protocol import Logic, StepContext

USER_NOT_FOUND = "UserNotFound"


class Args(accounts.AccountArgs):
    """Arguments of local_user."""

    name: accounts.AccountName | None = Field(None, description="account name")
    sid: Sid | None = Field(None, description="the account's SID, e.g. S-1-5-21-*-501 (Guest)")
    enabled: bool | None = Field(None, description="enabled (true) or disabled (false)")
    groups: tuple[str, ...] = Field((), description="local groups (names or SIDs) to be in")
    password: SecretArg | None = Field(None, description="for a new account only")
    description: str | None = Field(None, max_length=48)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.state == "absent" and (self.enabled is not None or self.groups or self.password):
            raise ValueError("an absent account takes no 'enabled', 'groups' or 'password'")
        if self.password is not None and self.sid is not None:
            raise ValueError("'password' creates an account, which needs a 'name', not a 'sid'")
        return self


@dataclass(frozen=True)
class Membership:
    """Whether the account is in one wanted group (as the playbook names the group)."""

    group: str
    member: bool


@dataclass(frozen=True)
class LocalUserState(accounts.AccountState):
    """What Get-LocalUser and Get-LocalGroupMember said."""

    enabled: bool | None = None
    description: str | None = None
    groups: tuple[Membership, ...] = ()

    def settings(self) -> dict[str, Any]:
        """Enabled, description, the wanted groups it is in."""
        return {
            "enabled": self.enabled,
            "description": self.description,
            "groups": [m.group for m in self.groups if m.member],
        }


def group_selector(group: str) -> dict[str, str]:
    """-SID for a SID, -Name otherwise (LocalAccounts group parameter sets)."""
    if relative_rid(group) is not None:
        raise StepError(
            f"local group {group!r}: the relative form S-1-5-21-*-RID names accounts, not"
            " groups; give the group's name or its full SID (e.g. S-1-5-32-545 for Users)"
        )
    return {"SID": group} if is_sid(group) else {"Name": group}


def find_user(name: str | None, sid: str | None) -> Logic[Mapping[str, Any] | None]:
    """The LocalUser object by name, SID or relative SID, or None when there is none."""
    rid = relative_rid(sid) if sid else None
    if rid is not None:
        result = yield from run(read("Get-LocalUser"))
        return next((u for u in objects(result) if has_rid(u.get("SID", ""), rid)), None)
    selector = {"SID": sid} if sid else {"Name": name}
    result = yield from run(read("Get-LocalUser", **selector), allow={USER_NOT_FOUND})
    return first(result)


def member_sids(group: str) -> Logic[list[str]]:
    """The SIDs in a local group (GroupNotFound fails the step)."""
    result = yield from run(read("Get-LocalGroupMember", **group_selector(group)))
    return [str(m.get("SID", "")) for m in objects(result)]


@dataclass(frozen=True)
class _Plan(accounts.AccountPlan):
    """What apply does to a local user: the shared plan and the groups it joins (or, in an
    undo, leaves)."""

    add_groups: tuple[str, ...] = ()
    remove_groups: tuple[str, ...] = ()

    def settings(self, who: str) -> tuple[tuple[bool, str], ...]:
        """The description, the groups to join."""
        joins = (bool(self.add_groups), f"add {who} to {', '.join(self.add_groups)}")
        return (*super().settings(who), joins)


def _check_creatable(args: Args) -> None:
    if args.name is None:
        raise StepError(f"no local account with SID {args.sid}: an account is created by name")
    if args.password is None:
        raise StepError(f"local user {args.name} does not exist; creating it needs a 'password'")


def _first_given(*values: str | None) -> str | None:
    return next((v for v in values if v is not None), None)


class LocalUser(accounts.AccountModule[Args, LocalUserState, _Plan]):
    """The local_user module."""

    name = "local_user"
    noun = "local user"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[LocalUserState]:
        """Get-LocalUser, then Get-LocalGroupMember of each wanted group."""
        user = yield from find_user(args.name, args.sid)
        sid = str(user["SID"]) if user is not None else None
        groups = []
        for group in args.groups:
            sids = yield from member_sids(group)
            groups.append(Membership(group, any(same_sid(s, sid) for s in sids)))
        if user is None:
            return LocalUserState(False, groups=tuple(groups))
        return LocalUserState(
            True,
            str(user["Name"]),
            sid,
            bool(user.get("Enabled")),
            str(user.get("Description") or ""),
            tuple(groups),
        )

    def plan(self, args: Args, state: LocalUserState) -> _Plan:
        """Delete, create, or the settings that differ; and the wanted groups it is not in."""
        if args.state == "absent":
            return _Plan(delete=state.exists)
        missing = tuple(m.group for m in state.groups if not m.member)
        if not state.exists:
            _check_creatable(args)
            return _Plan(create=True, add_groups=missing)
        return _Plan(
            enabled=accounts.differs(args.enabled, state.enabled),
            description=accounts.differs(args.description, state.description),
            add_groups=missing,
        )

    def after(self, args: Args, state: LocalUserState, plan: _Plan) -> dict[str, Any]:
        """The probed account (or the one New-LocalUser makes) with the planned changes."""
        if plan.delete:
            return {"exists": False}
        enabled = plan.enabled if plan.enabled is not None else state.enabled
        if plan.create:
            enabled = args.enabled is not False  # New-LocalUser: Enabled unless -Disabled
        groups = [m.group for m in state.groups if m.member] + list(plan.add_groups)
        return {
            **state.facts(),
            "exists": True,
            "name": state.name or args.name,
            "enabled": enabled,
            "description": _first_given(plan.description, state.description, args.description),
            "groups": groups,
        }

    def create(self, args: Args) -> Logic[str | None]:
        """New-LocalUser -Password <SecureString>; returns the new account's SID."""
        result = yield from run(
            change(
                "New-LocalUser",
                Name=args.name,
                Password=args.password,
                Description=args.description,
                Disabled=SWITCH if args.enabled is False else None,
            )
        )
        created = first(result)
        if created is None or not created.get("SID"):
            raise StepError(f"New-LocalUser {args.name} returned no account")
        return str(created["SID"])

    def delete(self, state: LocalUserState) -> Command:
        """Remove-LocalUser by SID."""
        return change("Remove-LocalUser", SID=state.sid)

    def delete_created(self, args: Args) -> Command:
        """Remove-LocalUser by name."""
        return change("Remove-LocalUser", Name=args.name)

    def updates(self, plan: _Plan, identity: str | None) -> list[Command]:
        """Enable/Disable/Set-LocalUser, Add- and Remove-LocalGroupMember as planned."""
        return _updates(plan, identity)

    def restoring(self, plan: _Plan, state: LocalUserState) -> _Plan:
        """The enabled state and description as probed, out of the groups it joined."""
        return _Plan(
            enabled=accounts.restored(plan.enabled, state.enabled),
            description=accounts.restored(plan.description, state.description),
            remove_groups=plan.add_groups,
        )


def _updates(plan: _Plan, sid: str | None) -> list[Command]:
    commands = []
    if plan.enabled is not None:
        verb = "Enable-LocalUser" if plan.enabled else "Disable-LocalUser"
        commands.append(change(verb, SID=sid))
    if plan.description is not None:
        commands.append(change("Set-LocalUser", SID=sid, Description=plan.description))
    commands += [_membership("Add", g, sid) for g in plan.add_groups]
    commands += [_membership("Remove", g, sid) for g in plan.remove_groups]
    return commands


def _membership(verb: str, group: str, sid: str | None) -> Command:
    return change(f"{verb}-LocalGroupMember", **group_selector(group), Member=[sid])


SPEC = ModuleSpec(
    "local_user",
    Args,
    "a local account: present/absent, enabled, groups",
    irreversible_when_absent("local account"),
    implementation=LocalUser(),
)
