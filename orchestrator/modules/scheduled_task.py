"""scheduled_task: a one-shot task registered as SYSTEM (the same kind the failsafe uses).

Registered with `Register-ScheduledTask -Xml -Force` from `task_xml` (one TimeTrigger with an
EndBoundary, so that StartWhenAvailable and DeleteExpiredTaskAfter are valid: ITaskSettings on
Microsoft Learn). -Force replaces an existing task (without it: HRESULT 0x800700b7), which
cannot be undone: the old definition is not kept. Unregister-ScheduledTask prompts unless
-Confirm:$false (its Microsoft Learn page), and a prompt fails in a session without a UI
(e.g. psake/psake#62).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self

from pydantic import Field, model_validator

from orchestrator.commands import SWITCH, Command
from orchestrator.durations import Duration
from orchestrator.modules.base import ArgsModel, ModuleSpec, State
from orchestrator.modules.logic import change, first, read, run
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext
from orchestrator.modules.task_xml import (
    ExecAction,
    OneShotTask,
    boundary,
    parse_xml_duration,
    principal_id,
    task_xml,
    xml_duration,
)

TASK_NOT_FOUND = "CmdletizationQuery_NotFound_TaskName"


class Args(ArgsModel):
    """Arguments of scheduled_task."""

    name: str = Field(min_length=1, pattern=r"^[^\\/:*?\"<>|]+$")
    path: str = Field("\\", pattern=r"^\\(?:[^\\]+\\)*$", description="task folder, e.g. \\")
    state: State = "present"
    at: datetime | None = Field(None, description="start boundary, on the target's clock")
    end_after: Duration = Field(
        timedelta(hours=1),
        description="EndBoundary = at + end_after; StartWhenAvailable needs an EndBoundary",
    )
    start_when_available: bool = True
    delete_expired_after: Duration | None = Field(timedelta(days=1))
    user: str = Field("SYSTEM", min_length=1)
    execute: str | None = Field(None, min_length=1, description="program, e.g. powershell.exe")
    arguments: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.state == "absent":
            if self.at is not None or self.execute is not None or self.arguments is not None:
                raise ValueError("an absent task takes only its 'name' and 'path'")
            return self
        if self.at is None or self.execute is None:
            raise ValueError("a present task needs 'at' and 'execute'")
        if self.end_after <= timedelta(0):
            raise ValueError("'end_after' must be positive")
        return self

    def task(self) -> OneShotTask:
        """The task these arguments describe."""
        assert self.at is not None
        assert self.execute is not None
        return OneShotTask(
            start=self.at,
            end=self.at + self.end_after,
            actions=(ExecAction(self.execute, self.arguments or ""),),
            start_when_available=self.start_when_available,
            delete_expired_after=self.delete_expired_after,
            user=self.user,
            description="registered by orchestrator",
        )


@dataclass(frozen=True)
class TaskState:
    """A registered task as Get-ScheduledTask shows it (boundaries as their text)."""

    exists: bool
    start: str | None = None
    end: str | None = None
    start_when_available: bool | None = None
    delete_expired_after: str | None = None
    user: str | None = None
    actions: tuple[tuple[str, str], ...] = ()

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        if not self.exists:
            return {"exists": False}
        return {
            "exists": True,
            "start": self.start,
            "end": self.end,
            "start_when_available": self.start_when_available,
            "delete_expired_after": self.delete_expired_after,
            "user": self.user,
            "actions": [list(a) for a in self.actions],
        }


def _wanted(task: OneShotTask) -> TaskState:
    return TaskState(
        True,
        boundary(task.start),
        boundary(task.end),
        task.start_when_available,
        None if task.delete_expired_after is None else xml_duration(task.delete_expired_after),
        principal_id(task.user),
        tuple((a.command, a.arguments) for a in task.actions),
    )


def _same_time(a: str | None, b: str | None) -> bool:
    """Boundaries compare as wall-clock times when either has no offset."""
    if a is None or b is None:
        return a == b
    try:
        x, y = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (a, b))
    except ValueError:
        return a == b
    if x.tzinfo is None or y.tzinfo is None:
        return x.replace(tzinfo=None) == y.replace(tzinfo=None)
    return x == y


def _differences(wanted: TaskState, state: TaskState) -> list[str]:
    expire = parse_xml_duration(state.delete_expired_after or "")
    wanted_expire = parse_xml_duration(wanted.delete_expired_after or "")
    table = (
        ("start", _same_time(state.start, wanted.start)),
        ("end", _same_time(state.end, wanted.end)),
        ("start_when_available", state.start_when_available == wanted.start_when_available),
        ("delete_expired_after", expire == wanted_expire),
        ("user", principal_id(state.user or "") == wanted.user),
        ("actions", state.actions == wanted.actions),
    )
    return [name for name, same in table if not same]


def _read(task: Mapping[str, Any]) -> TaskState:
    triggers = task.get("Triggers") or [{}]
    trigger, settings = triggers[0], task.get("Settings") or {}
    actions = tuple(
        (str(a.get("Execute", "")), str(a.get("Arguments") or ""))
        for a in task.get("Actions") or ()
    )
    return TaskState(
        True,
        trigger.get("StartBoundary"),
        trigger.get("EndBoundary"),
        settings.get("StartWhenAvailable"),
        settings.get("DeleteExpiredTaskAfter"),
        (task.get("Principal") or {}).get("UserId"),
        actions,
    )


def _unregister(args: Args) -> Command:
    # ConfirmImpact High: prompts (and fails over remoting) unless -Confirm:$false
    # (Unregister-ScheduledTask on Microsoft Learn; psake/psake#62)
    return change("Unregister-ScheduledTask", TaskName=args.name, TaskPath=args.path, Confirm=False)


class ScheduledTask(ModuleTraits):
    """The scheduled_task module."""

    name = "scheduled_task"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[TaskState]:
        """Get-ScheduledTask -TaskName -TaskPath (not found means absent)."""
        result = yield from run(
            read("Get-ScheduledTask", TaskName=args.name, TaskPath=args.path),
            allow={TASK_NOT_FOUND},
        )
        found = first(result)
        return TaskState(False) if found is None else _read(found)

    def diff(self, args: Args, state: TaskState) -> Diff:
        """Absent/present, or a registered task whose definition differs (replaced)."""
        where = f"{args.path}{args.name}"
        if args.state == "absent":
            if not state.exists:
                return Diff(DiffKind.NONE, f"task {where} is absent", state.facts())
            return Diff(
                DiffKind.CHANGE, f"unregister task {where}", state.facts(), {"exists": False}
            )
        wanted = _wanted(args.task())
        if not state.exists:
            return Diff(DiffKind.CHANGE, f"register task {where}", state.facts(), wanted.facts())
        different = _differences(wanted, state)
        if not different:
            return Diff(DiffKind.NONE, f"task {where} as wanted", state.facts())
        summary = f"replace task {where} ({', '.join(different)} differ)"
        return Diff(DiffKind.CHANGE, summary, state.facts(), wanted.facts())

    def apply(self, args: Args, _state: TaskState, _ctx: StepContext) -> Logic[None]:
        """Register-ScheduledTask -Xml -Force, or Unregister-ScheduledTask -Confirm:$false."""
        if args.state == "absent":
            yield from run(_unregister(args))
            return
        xml = task_xml(args.task())
        yield from run(
            change(
                "Register-ScheduledTask",
                TaskName=args.name,
                TaskPath=args.path,
                Xml=xml,
                Force=SWITCH,
            )
        )

    def undo(self, args: Args, state: TaskState) -> tuple[Command, ...] | None:
        """Unregister a task that did not exist; a replaced or removed one cannot come back."""
        if args.state == "present" and not state.exists:
            return (_unregister(args),)
        return None


SPEC = ModuleSpec(
    "scheduled_task",
    Args,
    "a one-shot scheduled task (SYSTEM, EndBoundary)",
    implementation=ScheduledTask(),
)
