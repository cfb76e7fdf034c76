"""Driving a module's sans-IO logic, and one step's outcome on one host."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from orchestrator.commands import Command, CommandResult, Transport
from orchestrator.deadline import Deadline
from orchestrator.engine.retry import resending
from orchestrator.errors import OperationTimeout, TransportError
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


Tried = list[StepOutcome]
"""The change an earlier attempt of the same step set out to make, before it failed."""


def execute(
    module: Module[Any, Any], args: ArgsModel, ctx: StepContext, *, tried: Tried | None = None
) -> Logic[StepOutcome]:
    """Probe, diff, and apply when there is something to change.

    tried: shared by the attempts of one step on one host. When an attempt failed after it
    began to apply, and the next one's probe finds nothing left to do, the change was made
    (its answer was lost on the way): the step reports it as changed, not as ok.
    """
    state = yield from module.probe(args, ctx)
    diff = module.diff(args, state)
    if diff.kind is DiffKind.NONE:
        return made_earlier(tried) or StepOutcome(Status.OK, diff)
    read_only = getattr(module, "read_only", False)
    undo = () if read_only else module.undo(args, state)
    if tried is not None and not read_only:
        tried.append(StepOutcome(Status.CHANGED, diff, undo))
    yield from module.apply(args, state, ctx)
    if read_only:  # a wait that waited changed nothing
        return StepOutcome(Status.OK, diff, ())
    return StepOutcome(Status.CHANGED, diff, undo)


def made_earlier(tried: Tried | None) -> StepOutcome | None:
    """The change a failed earlier attempt made after all, as this step's outcome."""
    if not tried:
        return None
    first = tried[0]
    summary = f"{first.diff.summary} (made by attempt 1; its answer was lost on the way)"
    return StepOutcome(Status.CHANGED, replace(first.diff, summary=summary), first.undo)


Resend = Callable[[Command, int, float, BaseException], None]
"""Told each time a command is sent again: the command, the attempt that failed, the pause
before the next one, and why it failed."""


def drive(
    logic: Logic[T],
    transport: Transport,
    *,
    sleep: Callable[[float], None],
    on_progress: Callable[[Progress], None] = lambda _p: None,
    deadline: Deadline | None = None,
    on_resend: Resend | None = None,
) -> T:
    """Run sans-IO logic against a transport until it returns its value.

    A command that failed on the way (a dropped connection, an empty HTTP 500, a read
    timeout) is sent again at once, on a fresh connection, when that cannot do anything
    twice: it changes nothing, or it never reached the host (retry.resendable). A changing
    command that may have reached the host is not resent: its error goes back to the step,
    whose next attempt probes first.
    """
    try:
        instruction = next(logic)
        while True:
            result: CommandResult | None = None
            if isinstance(instruction, Command):
                result = _send(instruction, transport, sleep, deadline, on_resend)
            else:
                _pause_or_show(instruction, sleep, on_progress, deadline)
            instruction = logic.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _send(
    command: Command,
    transport: Transport,
    sleep: Callable[[float], None],
    deadline: Deadline | None,
    on_resend: Resend | None,
) -> CommandResult:
    def once() -> CommandResult:
        budget = deadline.remaining(command.cmdlet) if deadline else None
        return transport.run(command, timeout=budget)

    try:
        result: CommandResult = resending(command, deadline, sleep=sleep, on_resend=on_resend)(once)
    except TransportError as error:
        error.changing = command.mutating  # the step decides: probe again, or give up
        raise
    return result


def _pause_or_show(
    instruction: Wait | Progress,
    sleep: Callable[[float], None],
    on_progress: Callable[[Progress], None],
    deadline: Deadline | None,
) -> None:
    if isinstance(instruction, Progress):
        on_progress(instruction)
        return
    if deadline is None:
        sleep(instruction.seconds)
        return
    seconds_left = deadline.remaining("waiting").total_seconds()
    sleep(min(instruction.seconds, seconds_left))
    if instruction.seconds >= seconds_left:
        raise OperationTimeout(f"{deadline.reason} while waiting")
