"""Timed rollback windows: the pure parts and the sans-IO logic the runner drives per host.

A change inside a window is (a) journaled with its undo, (b) covered by a failsafe on the
target (a one-shot task that undoes it at the deadline with no orchestrator present), (c)
applied. At the window's end, on a failure inside it, on Ctrl-C/SIGTERM, or when only the
revert's time is left, every change is (d) undone in reverse order on every host, each undo
verified by probing again, then the failsafe is disarmed. Modelled on Junos
`commit confirmed` and AD PAM time-to-live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from orchestrator.budget import Budget
from orchestrator.commands import Command, CommandResult
from orchestrator.engine.step import Status, StepOutcome, Tried, made_earlier
from orchestrator.errors import WindowError
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import Diff, DiffKind, Logic, Module, StepContext


def check_feasible(name: str, deadline: timedelta, budget: Budget) -> None:
    """Refuse a window whose revert cannot fit before its deadline (WindowError)."""
    if budget.seconds >= deadline.total_seconds():
        raise WindowError(
            f"window '{name}' refused: its revert needs {budget.seconds:.0f}s but the deadline"
            f" is {deadline.total_seconds():.0f}s away ({budget.explain()}); give the window a"
            " longer deadline, more forks, or fewer hosts per run (serial)"
        )


# --- per-change bookkeeping --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One applied (or intended) change inside a window, as the revert needs it."""

    change_id: int
    host: str
    step: str
    module: str
    args: ArgsModel
    before: Mapping[str, Any]
    undo: tuple[Command, ...]


class Guard(Protocol):
    """What a window does around one change on one host (journal, failsafe)."""

    def before_change(self, change: PendingChange) -> int:
        """Journal the intent and its undo; return the change id. Called BEFORE applying."""
        ...

    def arm(self, host: str) -> Logic[None]:
        """Cover all the host's changes so far with its failsafe (commands on the host)."""
        ...

    def applied(self, change_id: int) -> None:
        """Journal that the change was applied."""
        ...

    def adjust(self, host: str, args: ArgsModel) -> Logic[ArgsModel]:
        """The arguments to apply in this window (e.g. a PAM TTL ending at the deadline)."""
        ...


@dataclass(frozen=True)
class PendingChange:
    """A change about to be made: everything the journal needs before it happens."""

    host: str
    step: str
    module: str
    args: ArgsModel
    diff: Diff
    undo: tuple[Command, ...]


def guarded_execute(
    module: Module[Any, Any],
    args: ArgsModel,
    ctx: StepContext,
    *,
    step: str,
    module_name: str,
    guard: Guard,
    tried: Tried | None = None,
) -> Logic[StepOutcome]:
    """Probe, diff, and when there is a change: journal, arm the failsafe, then apply.

    A change an earlier attempt journaled stays journaled (its revert and failsafe cover it
    even when this attempt finds it made: `tried`, as in step.execute)."""
    args = yield from guard.adjust(ctx.host, args)
    state = yield from module.probe(args, ctx)
    diff = module.diff(args, state)
    if diff.kind is DiffKind.NONE:
        return made_earlier(tried) or StepOutcome(Status.OK, diff)
    undo = module.undo(args, state)
    if undo is None:
        raise WindowError(f"step '{step}' cannot be undone, so it cannot run in a window")
    if tried is not None:
        tried.append(StepOutcome(Status.CHANGED, diff, undo))
    if not undo:  # nothing to restore (a wait, a restart): no journal entry, no failsafe
        yield from module.apply(args, state, ctx)
        waited = getattr(module, "read_only", False)  # a wait that waited changed nothing
        return StepOutcome(Status.OK if waited else Status.CHANGED, diff, undo)
    change_id = guard.before_change(PendingChange(ctx.host, step, module_name, args, diff, undo))
    yield from guard.arm(ctx.host)
    yield from module.apply(args, state, ctx)
    guard.applied(change_id)
    return StepOutcome(Status.CHANGED, diff, undo)


# --- reverting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UndoResult:
    """How undoing one change went."""

    change: Change
    verified: bool
    detail: str = ""


def revert_change(
    change: Change, module: Module[Any, Any], ctx: StepContext, *, check_first: bool = False
) -> Logic[UndoResult]:
    """Run a change's undo commands (each, whatever the others do), then verify by probing.

    Verified when the probed state reads as it did before the change (the diff's `before`).
    An undo command's error is not fatal by itself: the failsafe may have undone it already.
    check_first: probe first and send nothing when the change is undone already (a retried
    revert whose undo acted but lost its answer): no undo is sent twice.
    """
    if check_first:
        state = yield from module.probe(change.args, ctx)
        if dict(module.diff(change.args, state).before) == dict(change.before):
            return UndoResult(change, True)
    errors = []
    for command in change.undo:
        result = yield command
        if isinstance(result, CommandResult) and not result.ok:
            errors.append(result.errors[0].fq_error_id)
    state = yield from module.probe(change.args, ctx)
    now = module.diff(change.args, state)
    verified = dict(now.before) == dict(change.before)
    detail = "" if verified else f"state after undo: {dict(now.before)}; errors: {errors}"
    return UndoResult(change, verified, detail)


@dataclass
class WindowRuntime:
    """One window while it runs: its deadline, its changes, and when to stop forward work."""

    name: str
    deadline: datetime  # on the orchestrator's clock, UTC
    stop_at: float  # monotonic time when forward work must stop to leave room for the revert
    failsafe: str
    window_id: int = 0
    budget: Budget | None = None
    changes: list[Change] = field(default_factory=list)
    hosts: dict[str, Any] = field(default_factory=dict)  # name -> inventory Host
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, change: Change) -> None:
        """Remember a change (in application order)."""
        with self._lock:
            self.changes.append(change)

    def change_of(self, host: str, step: str) -> Change | None:
        """The change a step already journaled on a host (an attempt before this one)."""
        with self._lock:
            return next((c for c in self.changes if (c.host, c.step) == (host, step)), None)

    def host_undo(self, host: str) -> tuple[Command, ...]:
        """The host's undo commands so far, in the order they must run (last change first)."""
        with self._lock:
            ordered = [c for c in reversed(self.changes) if c.host == host]
        return tuple(cmd for change in ordered for cmd in change.undo)

    def changes_by_host(self) -> dict[str, list[Change]]:
        """Each host's changes, last first (the order to undo them)."""
        with self._lock:
            result: dict[str, list[Change]] = {}
            for change in reversed(self.changes):
                result.setdefault(change.host, []).append(change)
            return result


def remaining(deadline: datetime, now: Callable[[], datetime]) -> timedelta:
    """Time left until a deadline."""
    return deadline - now()


def hosts_of(targets: Sequence[Sequence[Any]]) -> int:
    """How many distinct hosts a window's steps target."""
    return len({getattr(h, "name", h) for hosts in targets for h in hosts})
