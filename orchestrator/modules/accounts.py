"""What ad_user and local_user share: an account named by exactly one of name or SID, and
the plan its wanted and probed states give (create, delete, enable or disable, description,
and each family's own settings), with the diff, apply and undo that follow from the plan.

A family (an `AccountModule`) gives what differs: its probe and how it finds the account,
the settings it plans beyond these, the facts a plan leaves, and the cmdlets that create,
delete and update an account. A deletion has no undo: a re-created account gets a new SID,
never the old one (Security identifiers, Microsoft Learn).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import Field, model_validator

from orchestrator.commands import Command
from orchestrator.modules.base import ArgsModel, Sid, State
from orchestrator.modules.logic import run
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext

T = TypeVar("T")

# at most 20 characters, a local user name and a sAMAccountName alike (New-LocalUser -Name;
# SAM-Account-Name attribute, Microsoft Learn)
AccountName = Annotated[str, Field(min_length=1, max_length=20)]


class AccountArgs(ArgsModel):
    """An account named by exactly one of `name` or `sid`; each family describes both."""

    name: AccountName | None = None
    sid: Sid | None = None
    state: State = "present"

    @model_validator(mode="after")
    def _name_or_sid(self) -> Self:
        if (self.name is None) == (self.sid is None):
            raise ValueError("give exactly one of 'name' or 'sid'")
        return self

    @property
    def shown(self) -> str:
        """The account as the playbook names it."""
        return self.name or self.sid or ""


@dataclass(frozen=True)
class AccountState:
    """What a family's probe says of an account: whether it exists, its name and SID."""

    exists: bool
    name: str | None = None
    sid: str | None = None

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        if not self.exists:
            return {"exists": False}
        return {"exists": True, "name": self.name, "sid": self.sid, **self.settings()}

    def settings(self) -> dict[str, Any]:
        """The family's further facts of an existing account, in the order a Diff shows them."""
        return {}


@dataclass(frozen=True)
class AccountPlan:
    """What apply does, derived from the arguments and the probed state."""

    create: bool = False
    delete: bool = False
    enabled: bool | None = None  # set to this
    description: str | None = None  # set to this
    note: str = ""  # why nothing is done, when that needs saying (a missing account kept so)

    def phrases(self, noun: str, who: str) -> list[str]:
        """What it does, in words."""
        table = (
            (self.create, f"create {noun} {who}"),
            (self.delete, f"delete {noun} {who}"),
            (self.enabled is True, f"enable {who}"),
            (self.enabled is False, f"disable {who}"),
            *self.settings(who),
        )
        return [text for wanted, text in table if wanted]

    def settings(self, who: str) -> tuple[tuple[bool, str], ...]:
        """Each further setting: whether the plan changes it, and the change in words."""
        return ((self.description is not None, f"set the description of {who}"),)


def differs(wanted: T | None, current: T | None) -> T | None:
    """`wanted` when it is given and differs, else None."""
    return wanted if wanted is not None and wanted != current else None


def restored(changed: object, before: T) -> T | None:
    """What an undo sets back: `before` where the plan changes the setting, else None."""
    return None if changed is None else before


A = TypeVar("A", bound=AccountArgs)
S = TypeVar("S", bound=AccountState)
P = TypeVar("P", bound=AccountPlan)


class AccountModule(ModuleTraits, ABC, Generic[A, S, P]):
    """diff, apply and undo of an account, from a family's plan and cmdlets."""

    noun: str  # as a diff names the account, e.g. "local user"

    @abstractmethod
    def plan(self, args: A, state: S) -> P:
        """What apply does (StepError when a missing account cannot be created)."""

    @abstractmethod
    def after(self, args: A, state: S, plan: P) -> dict[str, Any]:
        """The facts of the account once the plan is applied."""

    @abstractmethod
    def create(self, args: A) -> Logic[str | None]:
        """Create the account; returns what its further updates identify it by."""

    @abstractmethod
    def delete(self, state: S) -> Command:
        """Delete the probed account."""

    @abstractmethod
    def delete_created(self, args: A) -> Command:
        """Delete the account apply created (an undo)."""

    @abstractmethod
    def updates(self, plan: P, identity: str | None) -> list[Command]:
        """The commands that change an existing account's settings as planned."""

    @abstractmethod
    def restoring(self, plan: P, state: S) -> P:
        """The plan that sets back what `plan` changes of the probed `state`."""

    def diff(self, args: A, state: S) -> Diff:
        """No change, or the account's creation, deletion or settings."""
        plan = self.plan(args, state)
        phrases = plan.phrases(self.noun, state.name or args.shown)
        if not phrases:
            summary = plan.note or f"{self.noun} {args.shown} as wanted"
            return Diff(DiffKind.NONE, summary, state.facts())
        after = self.after(args, state, plan)
        return Diff(DiffKind.CHANGE, "; ".join(phrases), state.facts(), after)

    def apply(self, args: A, state: S, _ctx: StepContext) -> Logic[None]:
        """Delete, or create, then update the settings, as planned."""
        plan = self.plan(args, state)
        if plan.delete:
            yield from run(self.delete(state))
            return
        identity = state.sid
        if plan.create:
            identity = yield from self.create(args)
        for command in self.updates(plan, identity):
            yield from run(command)

    def undo(self, args: A, state: S) -> tuple[Command, ...] | None:
        """Delete a created account; set back the settings changed (no undo of a deletion)."""
        plan = self.plan(args, state)
        if plan.delete:
            return None  # a re-created account gets a new SID
        if plan.create:
            return (self.delete_created(args),)
        return tuple(self.updates(self.restoring(plan, state), state.sid))
