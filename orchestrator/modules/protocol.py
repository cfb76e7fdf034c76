"""The sans-IO shape of a module: probe (read) -> diff (pure) -> apply (change) -> undo (data).

A module never talks to a host. Its probe and apply are generators that yield instructions
(`Command`, `Wait`, `Progress`) and receive each command's `CommandResult`; a small driver
(`orchestrator.engine.step.drive`) runs them against a Transport. `run`, `plan` and
`rollback` drive the same module code with different transports, so dry-run safety is a
property of the engine: a plan transport forwards only commands not marked `mutating`.

    state = yield from module.probe(args, ctx)     # read-only commands only
    diff = module.diff(args, state)                # pure: no change, change, or unknown
    yield from module.apply(args, state, ctx)      # mutating commands (and waits)
    undo = module.undo(args, state)                # commands restoring `state`, as data

`undo` returns plain Commands with literal parameters (no secrets): the journal stores them,
`rollback` replays them, and a window's failsafe task runs them on the host with no
orchestrator present.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from orchestrator.commands import Command, CommandResult
from orchestrator.modules.base import ArgsModel

T = TypeVar("T")
A_contra = TypeVar("A_contra", bound=ArgsModel, contravariant=True)
S = TypeVar("S")


@dataclass(frozen=True)
class Wait:
    """Pause before the next instruction (the driver sleeps; tests record it)."""

    seconds: float


@dataclass(frozen=True)
class Progress:
    """Something worth showing while a step runs (e.g. clients checked in so far)."""

    message: str
    values: Mapping[str, Any] = field(default_factory=dict)


Instruction = Command | Wait | Progress
Logic = Generator[Instruction, CommandResult | None, T]
"""A step's logic: yields instructions, receives a CommandResult for each Command."""


class DiffKind(enum.Enum):
    """What applying would do."""

    NONE = "no change"
    CHANGE = "change"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Diff:
    """Wanted vs current. before/after are JSON-able and hold no secret values."""

    kind: DiffKind
    summary: str
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""  # for UNKNOWN: why it cannot be predicted


@dataclass(frozen=True)
class StepContext:
    """What a module may know beyond its arguments."""

    host: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    evaluate: Callable[[str, Mapping[str, Any]], Any] | None = None  # `until:` expressions
    monotonic: Callable[[], float] | None = None  # for timeouts; injectable in tests
    left_run: Callable[[], frozenset[str]] | None = None  # hosts out of the run (waits skip them)


class ModuleTraits:
    """What the engine reads from a module besides its logic (defaults; override per module).

    transient_errors: ErrorIds (`ErrorInfo.error_id`) of RemoteErrors a retry may cure.
    read_only: applying changes nothing on the host (wait_for), so plan mode may skip it.
    """

    transient_errors: frozenset[str] = frozenset()
    read_only: bool = False

    def state_from_facts(self, facts: Mapping[str, Any]) -> Any | None:
        """The state a Diff's `after` (or `before`) facts describe, for plans to predict a
        later step from an earlier one's outcome; None where facts cannot say it all."""
        del facts
        return None


class Module(Protocol[A_contra, S]):
    """One kind of step."""

    name: str

    def probe(self, args: A_contra, ctx: StepContext) -> Logic[S]:
        """Read the current state with non-mutating commands only."""
        ...

    def diff(self, args: A_contra, state: S) -> Diff:
        """Compare wanted and current state. Pure."""
        ...

    def apply(self, args: A_contra, state: S, ctx: StepContext) -> Logic[None]:
        """Make the change the diff announced."""
        ...

    def undo(self, args: A_contra, state: S) -> tuple[Command, ...] | None:
        """Commands that restore `state` after apply, or None when it cannot be undone."""
        ...
