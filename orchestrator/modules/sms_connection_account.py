"""sms_connection_account: the SMS site's list of client connection accounts (Q237759).

Clients try the site's accounts in order and learn a new one at their next good check-in.
Read with Get-CMClientConnectionAccount on the site server; New- appends an account at the
end of the list (AccountExists if it is there), Remove- takes it out (AccountNotFound if it
is not). The site's own copy of a password is never handled here, so an undo that adds a
removed account back cannot restore one (the lab then uses the account's AD password).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from orchestrator.commands import Command
from orchestrator.modules.base import ACCOUNT_PATTERN, ArgsModel, ModuleSpec, State
from orchestrator.modules.logic import change, objects, read, run, same_name
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext


class Args(ArgsModel):
    """Arguments of sms_connection_account."""

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$", description="three-character site code")
    account: str = Field(pattern=ACCOUNT_PATTERN, description="DOMAIN\\name")
    state: State = "present"


@dataclass(frozen=True)
class AccountListState:
    """The site's connection accounts, in the order clients try them."""

    accounts: tuple[str, ...]

    def has(self, account: str) -> bool:
        """True when `account` is in the list (names compare case-insensitively)."""
        return any(same_name(a, account) for a in self.accounts)

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        return {"accounts": list(self.accounts)}


def _command(verb: str, args: Args) -> Command:
    return change(
        f"{verb}-CMClientConnectionAccount", SiteCode=args.site_code, UserName=args.account
    )


class SmsConnectionAccount(ModuleTraits):
    """The sms_connection_account module."""

    name = "sms_connection_account"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[AccountListState]:
        """Get-CMClientConnectionAccount -SiteCode (SiteNotFound fails the step)."""
        result = yield from run(read("Get-CMClientConnectionAccount", SiteCode=args.site_code))
        ordered = sorted(objects(result), key=lambda a: int(a.get("Order") or 0))
        return AccountListState(tuple(str(a.get("UserName", "")) for a in ordered))

    def state_from_facts(self, facts: Mapping[str, Any]) -> AccountListState | None:
        """The list a plan predicted an earlier step to leave."""
        accounts = facts.get("accounts")
        if not isinstance(accounts, list):
            return None
        return AccountListState(tuple(str(a) for a in accounts))

    def diff(self, args: Args, state: AccountListState) -> Diff:
        """Add the account at the end of the list, or take it out."""
        wanted = args.state == "present"
        if state.has(args.account) == wanted:
            return Diff(DiffKind.NONE, f"{args.account}: as wanted", state.facts())
        if wanted:
            after = [*state.accounts, args.account]
            summary = f"add {args.account} to site {args.site_code}'s connection accounts"
        else:
            after = [a for a in state.accounts if not same_name(a, args.account)]
            summary = f"remove {args.account} from site {args.site_code}'s connection accounts"
        return Diff(DiffKind.CHANGE, summary, state.facts(), {"accounts": after})

    def apply(self, args: Args, _state: AccountListState, _ctx: StepContext) -> Logic[None]:
        """New- or Remove-CMClientConnectionAccount."""
        yield from run(_command("New" if args.state == "present" else "Remove", args))

    def undo(self, args: Args, _state: AccountListState) -> tuple[Command, ...] | None:
        """The inverse (a re-added account goes to the end of the list)."""
        return (_command("Remove" if args.state == "present" else "New", args),)


SPEC = ModuleSpec(
    "sms_connection_account",
    Args,
    "a client connection account of the site",
    implementation=SmsConnectionAccount(),
)
