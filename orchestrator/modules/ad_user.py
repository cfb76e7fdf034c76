"""ad_user: an Active Directory user, e.g. a client connection account or the domain Guest.

Get-ADUser -Identity takes a DN, GUID, SID or sAMAccountName (Get-ADUser, Microsoft Learn);
its "not found" is a TERMINATING ADIdentityNotFoundException, which here means absent.
`S-1-5-21-*-501` is the domain's Guest (well-known RID 501: Security identifiers, Microsoft
Learn), through Get-ADDomain's DomainSID. New-ADUser creates the account even when setting its
password fails (New-ADUser, Microsoft Learn): a rejected password leaves a disabled account
behind, which the error then says. Remove-ADUser prompts unless -Confirm:$false (ConfirmImpact
High; about_Preference_Variables). A missing account is created only with `state: present`
and a `password`: other arguments (`unlocked: true`) leave it missing. `unlocked: true` runs
Unlock-ADAccount only when LockedOut
is true (computed from lockoutTime and the policy's lockout duration: Lockout-Time attribute,
Account lockout duration, Microsoft Learn); a lockout is never restored by an undo. The shared
account logic is orchestrator.modules.accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import Command
from orchestrator.errors import StepError
from orchestrator.modules import accounts
from orchestrator.modules.base import ModuleSpec, SecretArg, Sid, irreversible_when_absent
from orchestrator.modules.logic import (
    AD_NOT_FOUND,
    AD_SERVER_DOWN,
    change,
    first,
    raise_errors,
    read,
    relative_rid,
    remote_error,
    run,
    send,
)
from orchestrator.modules.protocol import Logic, StepContext

DN_PATTERN = r"^(?:(?:OU|CN|DC)=[^,]+,)*(?:OU|CN|DC)=[^,]+$"
# ADPasswordComplexityException's ErrorId: Win32 1325, ERROR_PASSWORD_RESTRICTION (System
# Error Codes, Microsoft Learn), not a password
PASSWORD_REJECTED = "ActiveDirectoryServer:1325"  # noqa: S105 -- an error id, not a secret
_PROPERTIES = ["PasswordNeverExpires", "Description", "LockedOut"]


class Args(accounts.AccountArgs):
    """Arguments of ad_user."""

    name: accounts.AccountName | None = Field(None, description="sAMAccountName")
    sid: Sid | None = Field(None, description="the user's SID, e.g. S-1-5-21-*-501 (domain Guest)")
    password: SecretArg | None = Field(None, description="initial password of a new account")
    enabled: bool | None = None
    password_never_expires: bool | None = None
    path: str | None = Field(None, pattern=DN_PATTERN, description="OU for a new account")
    description: str | None = None
    unlocked: bool | None = Field(
        None,
        description="true: unlock the account if it is locked out (Unlock-ADAccount); clients"
        " that held an old password lock connection accounts out (Q227033)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        settings = (
            self.password,
            self.enabled,
            self.password_never_expires,
            self.path,
            self.unlocked,
        )
        if self.state == "absent" and any(v is not None for v in settings):
            raise ValueError("an absent user takes only its 'name' or 'sid'")
        if self.sid is not None and (self.password is not None or self.path is not None):
            raise ValueError("'password' and 'path' create an account, which needs a 'name'")
        return self


@dataclass(frozen=True)
class AdUserState(accounts.AccountState):
    """What Get-ADUser said (its name is the sAMAccountName)."""

    dn: str | None = None
    enabled: bool | None = None
    password_never_expires: bool | None = None
    description: str | None = None
    locked_out: bool | None = None

    def settings(self) -> dict[str, Any]:
        """DN, enabled, PasswordNeverExpires, description, LockedOut."""
        return {
            "distinguished_name": self.dn,
            "enabled": self.enabled,
            "password_never_expires": self.password_never_expires,
            "description": self.description,
            "locked_out": self.locked_out,
        }


def ad_identity(name: str | None, sid: str | None) -> Logic[str]:
    """What -Identity gets: the name or SID, the relative form resolved via DomainSID."""
    rid = relative_rid(sid) if sid else None
    if rid is None:
        return name or sid or ""
    domain = yield from domain_sid()
    return f"{domain}-{rid}"


def domain_sid() -> Logic[str]:
    """Get-ADDomain's DomainSID."""
    result = yield from run(read("Get-ADDomain"))
    found = first(result)
    if found is None or not found.get("DomainSID"):
        raise StepError("Get-ADDomain returned no DomainSID")
    return str(found["DomainSID"])


def find_ad_user(identity: str, properties: list[str]) -> Logic[Mapping[str, Any] | None]:
    """The ADUser, or None when the identity is not found."""
    result = yield from run(
        read("Get-ADUser", Identity=identity, Properties=properties), allow={AD_NOT_FOUND}
    )
    return first(result)


@dataclass(frozen=True)
class _Plan(accounts.AccountPlan):
    """What apply does to an AD user: the shared plan, PasswordNeverExpires and unlocking."""

    never_expires: bool | None = None
    unlock: bool = False

    def settings(self, who: str) -> tuple[tuple[bool, str], ...]:
        """PasswordNeverExpires, the description, unlocking."""
        return (
            (self.never_expires is not None, f"set PasswordNeverExpires={self.never_expires}"),
            *super().settings(who),
            (self.unlock, f"unlock {who}"),
        )


def _text_differs(wanted: str | None, current: str | None) -> str | None:
    """Like accounts.differs, an empty text the same as none (AD stores no empty strings)."""
    if wanted is None or (wanted or None) == (current or None):
        return None
    return wanted


def _creates(args: Args) -> bool:
    """A missing account is created only when asked for in so many words: `state: present`
    with a password (so `unlocked: true` never brings back an account deleted on purpose)."""
    return "state" in args.model_fields_set and args.password is not None


def _check_missing(args: Args) -> None:
    """A missing account asked to have settings (not only to be unlocked) is an error."""
    if args.sid is not None:
        raise StepError(f"no AD user with SID {args.sid}: an account is created by name")
    settings = (args.enabled, args.password_never_expires, args.description, args.password)
    if any(value is not None for value in settings) or args.path is not None:
        raise StepError(
            f"AD user {args.name} does not exist; to create it, say 'state: present' and give"
            " a 'password'"
        )


def _check_creatable(args: Args) -> None:
    if args.name is None:
        raise StepError(f"no AD user with SID {args.sid}: an account is created by name")
    if args.enabled and args.password is None:
        # New-ADUser would create it, then fail to enable it (1325), leaving it behind: an
        # account is enabled only with a valid password (New-ADUser, Microsoft Learn)
        raise StepError(f"AD user {args.name} does not exist; an enabled one needs a 'password'")


def _created(args: Args) -> dict[str, Any]:
    return {
        "exists": True,
        "name": args.name,
        "enabled": bool(args.enabled),
        "password_never_expires": bool(args.password_never_expires),
        "description": args.description,
        "path": args.path,
    }


class AdUser(accounts.AccountModule[Args, AdUserState, _Plan]):
    """The ad_user module."""

    name = "ad_user"
    noun = "AD user"
    transient_errors = frozenset({AD_SERVER_DOWN})

    def probe(self, args: Args, _ctx: StepContext) -> Logic[AdUserState]:
        """Get-ADUser -Identity (with Get-ADDomain first for the relative SID form)."""
        identity = yield from ad_identity(args.name, args.sid)
        user = yield from find_ad_user(identity, _PROPERTIES)
        if user is None:
            return AdUserState(False)
        return AdUserState(
            True,
            str(user["SamAccountName"]),
            str(user["SID"]),
            str(user.get("DistinguishedName") or ""),
            bool(user.get("Enabled")),
            bool(user.get("PasswordNeverExpires")),
            user.get("Description") or None,
            bool(user.get("LockedOut")),
        )

    def state_from_facts(self, facts: Mapping[str, Any]) -> AdUserState | None:
        """The account a plan predicted an earlier step to leave (a new one has no SID yet)."""
        if facts.get("exists") is False:
            return AdUserState(exists=False)
        if facts.get("exists") is not True:
            return None
        return AdUserState(
            exists=True,
            name=facts.get("name"),
            sid=facts.get("sid"),
            dn=facts.get("distinguished_name"),
            enabled=facts.get("enabled"),
            password_never_expires=facts.get("password_never_expires"),
            description=facts.get("description"),
            locked_out=facts.get("locked_out", False),
        )

    def plan(self, args: Args, state: AdUserState) -> _Plan:
        """Delete, create, or the settings that differ (an unlock only while locked out)."""
        if args.state == "absent":
            return _Plan(delete=state.exists)
        if not state.exists:
            if _creates(args):
                _check_creatable(args)
                return _Plan(create=True)
            _check_missing(args)
            return _Plan(note=f"AD user {args.shown} does not exist; not created (creating"
                         " one needs 'state: present' and a 'password')")  # fmt: skip
        return _Plan(
            enabled=accounts.differs(args.enabled, state.enabled),
            never_expires=accounts.differs(
                args.password_never_expires, state.password_never_expires
            ),
            description=_text_differs(args.description, state.description),
            unlock=bool(args.unlocked and state.locked_out),
        )

    def after(self, args: Args, state: AdUserState, plan: _Plan) -> dict[str, Any]:
        """The account as New-ADUser makes it, or the probed one with the planned changes."""
        if plan.delete:
            return {"exists": False}
        if plan.create:
            return _created(args)
        changed = {
            "enabled": plan.enabled,
            "password_never_expires": plan.never_expires,
            "description": plan.description,
            "locked_out": False if plan.unlock else None,
        }
        return {**state.facts(), **{k: v for k, v in changed.items() if v is not None}}

    def create(self, args: Args) -> Logic[str | None]:
        """New-ADUser with every setting (nothing is left to update afterwards)."""
        yield from _create(args)
        return args.name

    def delete(self, state: AdUserState) -> Command:
        """Remove-ADUser -Confirm:$false by SID."""
        return change("Remove-ADUser", Identity=state.sid, Confirm=False)

    def delete_created(self, args: Args) -> Command:
        """Remove-ADUser -Confirm:$false by name."""
        return change("Remove-ADUser", Identity=args.name, Confirm=False)

    def updates(self, plan: _Plan, identity: str | None) -> list[Command]:
        """Unlock-ADAccount, Enable/Disable-ADAccount, Set-ADUser as planned."""
        return _updates(plan, identity or "")

    def restoring(self, plan: _Plan, state: AdUserState) -> _Plan:
        """Enabled, PasswordNeverExpires and the description as probed (a lockout is not
        restored: no cmdlet sets one, and it would lock clients out again)."""
        return _Plan(
            enabled=accounts.restored(plan.enabled, state.enabled),
            never_expires=accounts.restored(plan.never_expires, state.password_never_expires),
            description=accounts.restored(plan.description, state.description or ""),
        )


def _updates(plan: _Plan, identity: str) -> list[Command]:
    commands = [change("Unlock-ADAccount", Identity=identity)] if plan.unlock else []
    if plan.enabled is not None:
        verb = "Enable-ADAccount" if plan.enabled else "Disable-ADAccount"
        commands.append(change(verb, Identity=identity))
    if plan.never_expires is not None or plan.description is not None:
        # no description is -Clear: an LDAP Directory String has at least one character
        clear = ["description"] if plan.description == "" else None
        commands.append(
            change(
                "Set-ADUser",
                Identity=identity,
                PasswordNeverExpires=plan.never_expires,
                Description=plan.description or None,
                Clear=clear,
            )
        )
    return commands


def _create(args: Args) -> Logic[None]:
    command = change(
        "New-ADUser",
        Name=args.name,
        SamAccountName=args.name,
        AccountPassword=args.password,
        Enabled=args.enabled,
        PasswordNeverExpires=args.password_never_expires,
        Path=args.path,
        Description=args.description,
    )
    result = yield from send(command)
    rejected = result.error(PASSWORD_REJECTED)
    if rejected is not None:
        raise remote_error(
            command,
            rejected,
            f"New-ADUser created {args.name} before the password was rejected: the account now"
            " exists, disabled and without that password; delete it, or give a password the"
            " domain's policy accepts, before running this step again",
        )
    raise_errors(result)


SPEC = ModuleSpec(
    "ad_user",
    Args,
    "an AD user: present/absent, password, enabled",
    irreversible_when_absent("domain account"),
    implementation=AdUser(),
)
