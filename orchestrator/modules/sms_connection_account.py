"""sms_connection_account: the SMS site's list of client connection accounts (Q237759).

Clients try the site's accounts in order and learn a new one at their next good check-in.
Read with Get-CMClientConnectionAccount on the site server; New- appends an account at the
end of the list (AccountExists if it is there), Remove- takes it out (AccountNotFound if it
is not). KB Q236052 adds the new account in the SMS console *with its password*: the site
keeps its own copy and hands it to clients. `password` (a secret, sent as a SecureString) is
given to New- for a new account, and to Set-CMClientConnectionAccount for an account already
listed whose site copy has none (PasswordStored false). The site's copy cannot be read back,
so an account whose copy is stored is never set again: changing a connection account's
password locks clients out (Q227033); a new password is a rotation to a new account
(Q237759), not a set. For the same reason an undo that adds a removed account back cannot
restore its password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import Command
from orchestrator.modules.base import ACCOUNT_PATTERN, ArgsModel, ModuleSpec, SecretArg, State
from orchestrator.modules.logic import change, objects, read, run, same_name
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext


class Args(ArgsModel):
    """Arguments of sms_connection_account."""

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$", description="three-character site code")
    account: str = Field(pattern=ACCOUNT_PATTERN, description="DOMAIN\\name")
    state: State = "present"
    password: SecretArg | None = Field(
        None,
        description="the password the site hands to clients: given to a new account, or set"
        " on a listed one whose site copy has none; a stored one is never changed",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.state == "absent" and self.password is not None:
            raise ValueError("an absent account takes no 'password'")
        return self


@dataclass(frozen=True)
class AccountListState:
    """The site's connection accounts, in the order clients try them, and which of them the
    site holds a password for (PasswordStored)."""

    accounts: tuple[str, ...]
    stored: tuple[str, ...] = ()

    def has(self, account: str) -> bool:
        """True when `account` is in the list (names compare case-insensitively)."""
        return any(same_name(a, account) for a in self.accounts)

    def has_password(self, account: str) -> bool:
        """True when the site holds its own copy of `account`'s password."""
        return any(same_name(a, account) for a in self.stored)

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff (names only: a password is never read)."""
        return {"accounts": list(self.accounts), "passwords_stored": list(self.stored)}

    def adding(self, account: str, *, password: bool) -> AccountListState:
        """The list with `account` appended (its password stored when one is given)."""
        stored = (*self.stored, account) if password else self.stored
        return AccountListState((*self.accounts, account), stored)

    def removing(self, account: str) -> AccountListState:
        """The list without `account`."""
        return AccountListState(
            tuple(a for a in self.accounts if not same_name(a, account)),
            tuple(a for a in self.stored if not same_name(a, account)),
        )

    def storing(self, account: str) -> AccountListState:
        """The list with the site holding `account`'s password."""
        listed = next(a for a in self.accounts if same_name(a, account))
        return AccountListState(self.accounts, (*self.stored, listed))


def _command(verb: str, args: Args, password: SecretArg | None = None) -> Command:
    return change(
        f"{verb}-CMClientConnectionAccount",
        SiteCode=args.site_code,
        UserName=args.account,
        Password=password,
    )


def _needs_password(args: Args, state: AccountListState) -> bool:
    """A listed account whose site copy has no password, and a password to give it."""
    return (
        args.password is not None
        and state.has(args.account)
        and not state.has_password(args.account)
    )


def _unchanged(args: Args, state: AccountListState) -> Diff:
    note = ""
    if args.password is not None and state.has_password(args.account):
        # the site's copy cannot be read to compare; changing it would lock clients out
        # (Q227033): a new password is a rotation to a new account (Q237759)
        note = " (the site holds its password: never re-set; a new password is a rotation)"
    return Diff(DiffKind.NONE, f"{args.account}: as wanted{note}", state.facts())


class SmsConnectionAccount(ModuleTraits):
    """The sms_connection_account module."""

    name = "sms_connection_account"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[AccountListState]:
        """Get-CMClientConnectionAccount -SiteCode (SiteNotFound fails the step)."""
        result = yield from run(read("Get-CMClientConnectionAccount", SiteCode=args.site_code))
        ordered = sorted(objects(result), key=lambda a: int(a.get("Order") or 0))
        names = tuple(str(a.get("UserName", "")) for a in ordered)
        stored = tuple(str(a.get("UserName", "")) for a in ordered if a.get("PasswordStored"))
        return AccountListState(names, stored)

    def state_from_facts(self, facts: Mapping[str, Any]) -> AccountListState | None:
        """The list a plan predicted an earlier step to leave."""
        accounts, stored = facts.get("accounts"), facts.get("passwords_stored")
        if not isinstance(accounts, list) or not isinstance(stored, list):
            return None
        return AccountListState(tuple(str(a) for a in accounts), tuple(str(a) for a in stored))

    def diff(self, args: Args, state: AccountListState) -> Diff:
        """Add the account at the end of the list (with its password), set the password of a
        listed account that has none, or take the account out."""
        where = f"site {args.site_code}'s connection accounts"
        if args.state == "absent":
            if not state.has(args.account):
                return _unchanged(args, state)
            lost = " (an undo adds it back without its password)"
            summary = f"remove {args.account} from {where}" + (
                lost if state.has_password(args.account) else ""
            )
            return Diff(
                DiffKind.CHANGE, summary, state.facts(), state.removing(args.account).facts()
            )
        if not state.has(args.account):
            after = state.adding(args.account, password=args.password is not None)
            with_password = " with its password" if args.password is not None else ""
            summary = f"add {args.account} to {where}{with_password}"
            return Diff(DiffKind.CHANGE, summary, state.facts(), after.facts())
        if _needs_password(args, state):
            summary = f"set the site's password of {args.account} (the site holds none)"
            return Diff(
                DiffKind.CHANGE, summary, state.facts(), state.storing(args.account).facts()
            )
        return _unchanged(args, state)

    def apply(self, args: Args, state: AccountListState, _ctx: StepContext) -> Logic[None]:
        """New- (with -Password), Set- -Password, or Remove-CMClientConnectionAccount."""
        if args.state == "absent":
            yield from run(_command("Remove", args))
        elif not state.has(args.account):
            yield from run(_command("New", args, args.password))
        else:
            yield from run(_command("Set", args, args.password))

    def undo(self, args: Args, state: AccountListState) -> tuple[Command, ...] | None:
        """The inverse: an added account is removed; a removed one is added back at the end of
        the list, without a password (the site's copy was never read). A password set on a
        listed account is kept: the site cannot be told to forget one, and it harms nothing."""
        if args.state == "absent":
            return (_command("New", args),)
        if state.has(args.account):
            return ()
        return (_command("Remove", args),)


SPEC = ModuleSpec(
    "sms_connection_account",
    Args,
    "a client connection account of the site (with the password the site hands out)",
    implementation=SmsConnectionAccount(),
)
