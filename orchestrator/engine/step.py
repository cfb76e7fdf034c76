"""Driving a module's sans-IO logic, and one step's outcome on one host."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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
from orchestrator.transport.command import Command, Transport


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
    return StepOutcome(Status.CHANGED, diff, module.undo(args, state))


def drive(
    logic: Logic[T],
    transport: Transport,
    *,
    sleep: Callable[[float], None],
    on_progress: Callable[[Progress], None] = lambda _p: None,
    timeout: timedelta | None = None,
) -> T:
    """Run sans-IO logic against a transport until it returns its value."""
    try:
        instruction = next(logic)
        while True:
            result = None
            if isinstance(instruction, Command):
                result = transport.run(instruction, timeout=timeout)
            elif isinstance(instruction, Wait):
                sleep(instruction.seconds)
            else:
                on_progress(instruction)
            instruction = logic.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
