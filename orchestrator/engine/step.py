"""Driving a module's sans-IO logic, and one step's outcome on one host."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from orchestrator.commands import Command, CommandResult, Transport
from orchestrator.errors import OperationTimeout
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import (
    Diff,
    DiffKind,
    Logic,
    Module,
    Progress,
    StepContext,
    T,
    Wait,
)


class Status(enum.Enum):
    """A step's result on one host."""

    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class StepOutcome:
    """What a step did on a host: its diff and the commands that would undo it."""

    status: Status
    diff: Diff
    undo: tuple[Command, ...] | None = None


def execute(module: Module[Any, Any], args: ArgsModel, ctx: StepContext) -> Logic[StepOutcome]:
    """Probe, diff, and apply when there is something to change."""
    state = yield from module.probe(args, ctx)
    diff = module.diff(args, state)
    if diff.kind is DiffKind.NONE:
        return StepOutcome(Status.OK, diff)
    yield from module.apply(args, state, ctx)
    if getattr(module, "read_only", False):  # a wait that waited changed nothing
        return StepOutcome(Status.OK, diff, ())
    return StepOutcome(Status.CHANGED, diff, module.undo(args, state))


@dataclass(frozen=True)
class Deadline:
    """When an attempt must be over (a step's `timeout:`, a window's), on a monotonic clock."""

    at: float
    monotonic: Callable[[], float]
    reason: str = "step timeout reached"

    def remaining(self, what: str) -> timedelta:
        """Time left; OperationTimeout when there is none."""
        left = self.at - self.monotonic()
        if left <= 0:
            raise OperationTimeout(f"{self.reason} before {what}")
        return timedelta(seconds=left)


def earliest(*deadlines: Deadline | None) -> Deadline | None:
    """The deadline that comes first, if any."""
    present = [d for d in deadlines if d is not None]
    return min(present, key=lambda d: d.at) if present else None


def drive(
    logic: Logic[T],
    transport: Transport,
    *,
    sleep: Callable[[float], None],
    on_progress: Callable[[Progress], None] = lambda _p: None,
    deadline: Deadline | None = None,
) -> T:
    """Run sans-IO logic against a transport until it returns its value."""
    try:
        instruction = next(logic)
        while True:
            instruction = logic.send(_perform(instruction, transport, sleep, on_progress, deadline))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _perform(
    instruction: Command | Wait | Progress,
    transport: Transport,
    sleep: Callable[[float], None],
    on_progress: Callable[[Progress], None],
    deadline: Deadline | None,
) -> CommandResult | None:
    if isinstance(instruction, Command):
        budget = deadline.remaining(instruction.cmdlet) if deadline else None
        return transport.run(instruction, timeout=budget)
    if isinstance(instruction, Wait):
        if deadline is None:
            sleep(instruction.seconds)
            return None
        seconds_left = deadline.remaining("waiting").total_seconds()
        sleep(min(instruction.seconds, seconds_left))
        if instruction.seconds >= seconds_left:
            raise OperationTimeout(f"{deadline.reason} while waiting")
        return None
    on_progress(instruction)
    return None
