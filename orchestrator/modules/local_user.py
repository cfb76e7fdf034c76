"""local_user: a local account on a member server or workstation (by name or SID).

The local Guest is addressed as `S-1-5-21-*-501`: its name is localised and, on a domain
member, an unqualified "Guest" resolves to the domain Guest (windows-semantics §0.6), so the
probe enumerates Get-LocalUser and picks the account whose SID ends in -501 (§1.1).
Enable/Disable-LocalUser are silent no-ops when already in state, but Add-LocalGroupMember
raises MemberExists, so memberships are read first (§0.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import SWITCH, Command
from orchestrator.errors import StepError
from orchestrator.modules.base import (
    ArgsModel,
    ModuleSpec,
    SecretArg,
    Sid,
    State,
    irreversible_when_absent,
)
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
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext

USER_NOT_FOUND = "UserNotFound"


class Args(ArgsModel):
    """Arguments of local_user."""

    name: str | None = Field(None, min_length=1, max_length=20, description="account name")
    sid: Sid | None = Field(None, description="the account's SID, e.g. S-1-5-21-*-501 (Guest)")
    state: State = "present"
    enabled: bool | None = Field(None, description="enabled (true) or disabled (false)")
    groups: tuple[str, ...] = Field((), description="local groups (names or SIDs) to be in")
    password: SecretArg | None = Field(None, description="for a new account only")
    description: str | None = Field(None, max_length=48)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.name is None) == (self.sid is None):
            raise ValueError("give exactly one of 'name' or 'sid'")
        if self.state == "absent" and (self.enabled is not None or self.groups or self.password):
            raise ValueError("an absent account takes no 'enabled', 'groups' or 'password'")
        if self.password is not None and self.sid is not None:
            raise ValueError("'password' creates an account, which needs a 'name', not a 'sid'")
        return self

    @property
    def shown(self) -> str:
        """The account as the playbook names it."""
        return self.name or self.sid or ""


@dataclass(frozen=True)
class Membership:
    """Whether the account is in one wanted group (as the playbook names the group)."""

    group: str
    member: bool


@dataclass(frozen=True)
class LocalUserState:
    """What Get-LocalUser and Get-LocalGroupMember said."""

    exists: bool
    name: str | None = None
    sid: str | None = None
    enabled: bool | None = None
    description: str | None = None
    groups: tuple[Membership, ...] = ()

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        if not self.exists:
            return {"exists": False}
        return {
            "exists": True,
            "name": self.name,
            "sid": self.sid,
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
class _Plan:
    """What apply does, derived from the arguments and the probed state."""

    create: bool = False
    delete: bool = False
    enabled: bool | None = None  # set to this
    description: str | None = None  # set to this
    add_groups: tuple[str, ...] = ()

    def phrases(self, who: str) -> list[str]:
        """What it does, in words."""
        table = (
            (self.create, f"create local user {who}"),
            (self.delete, f"delete local user {who}"),
            (self.enabled is True, f"enable {who}"),
            (self.enabled is False, f"disable {who}"),
            (self.description is not None, f"set the description of {who}"),
            (bool(self.add_groups), f"add {who} to {', '.join(self.add_groups)}"),
        )
        return [text for wanted, text in table if wanted]


def _plan(args: Args, state: LocalUserState) -> _Plan:
    if args.state == "absent":
        return _Plan(delete=state.exists)
    missing = tuple(m.group for m in state.groups if not m.member)
    if not state.exists:
        _check_creatable(args)
        return _Plan(create=True, add_groups=missing)
    enabled = args.enabled if args.enabled not in (None, state.enabled) else None
    wanted_text = args.description
    description = wanted_text if wanted_text not in (None, state.description) else None
    return _Plan(enabled=enabled, description=description, add_groups=missing)


def _check_creatable(args: Args) -> None:
    if args.name is None:
        raise StepError(f"no local account with SID {args.sid}: an account is created by name")
    if args.password is None:
        raise StepError(f"local user {args.name} does not exist; creating it needs a 'password'")


def _after(args: Args, state: LocalUserState, plan: _Plan) -> dict[str, Any]:
    if plan.delete:
        return {"exists": False}
    before = state.facts()
    enabled = plan.enabled if plan.enabled is not None else state.enabled
    if plan.create:
        enabled = args.enabled is not False  # New-LocalUser: Enabled unless -Disabled
    groups = [m.group for m in state.groups if m.member] + list(plan.add_groups)
    return {
        **before,
        "exists": True,
        "name": state.name or args.name,
        "enabled": enabled,
        "description": _first_given(plan.description, state.description, args.description),
        "groups": groups,
    }


def _first_given(*values: str | None) -> str | None:
    return next((v for v in values if v is not None), None)


class LocalUser(ModuleTraits):
    """The local_user module."""

    name = "local_user"

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

    def diff(self, args: Args, state: LocalUserState) -> Diff:
        """No change, or the account's creation, deletion, state or memberships."""
        plan = _plan(args, state)
        phrases = plan.phrases(state.name or args.shown)
        if not phrases:
            return Diff(DiffKind.NONE, f"local user {args.shown} as wanted", state.facts())
        return Diff(DiffKind.CHANGE, "; ".join(phrases), state.facts(), _after(args, state, plan))

    def apply(self, args: Args, state: LocalUserState, _ctx: StepContext) -> Logic[None]:
        """New/Remove/Enable/Disable/Set-LocalUser and Add-LocalGroupMember as planned."""
        plan = _plan(args, state)
        if plan.delete:
            yield from run(change("Remove-LocalUser", SID=state.sid))
            return
        sid = state.sid
        if plan.create:
            sid = yield from _create(args)
        for command in _updates(plan, sid):
            yield from run(command)

    def undo(self, args: Args, state: LocalUserState) -> tuple[Command, ...] | None:
        """Delete a created account; restore the enabled state, description, memberships."""
        plan = _plan(args, state)
        if plan.delete:
            return None  # a re-created account gets a new SID
        if plan.create:
            return (change("Remove-LocalUser", Name=args.name),)
        undo = _Plan(
            enabled=None if plan.enabled is None else state.enabled,
            description=None if plan.description is None else state.description,
        )
        restore = list(_updates(undo, state.sid))
        restore += [
            change("Remove-LocalGroupMember", **group_selector(g), Member=[state.sid])
            for g in plan.add_groups
        ]
        return tuple(restore)


def _create(args: Args) -> Logic[str]:
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


def _updates(plan: _Plan, sid: str | None) -> list[Command]:
    commands = []
    if plan.enabled is not None:
        verb = "Enable-LocalUser" if plan.enabled else "Disable-LocalUser"
        commands.append(change(verb, SID=sid))
    if plan.description is not None:
        commands.append(change("Set-LocalUser", SID=sid, Description=plan.description))
    commands += [
        change("Add-LocalGroupMember", **group_selector(g), Member=[sid]) for g in plan.add_groups
    ]
    return commands


SPEC = ModuleSpec(
    "local_user",
    Args,
    "a local account: present/absent, enabled, groups",
    irreversible_when_absent("local account"),
    implementation=LocalUser(),
)
