"""The target-side failsafe of a rollback window: a one-shot SYSTEM task on each host that
undoes the window's changes there at the deadline, with no orchestrator present (Junos
`commit confirmed`, on Windows). Sans-IO: the window engine drives every function here.

    clock = yield from read_clock(now)                        # Get-Date; skew for the log
    armed = yield from arm(FailsafePlan(run, window, host, deadline, clock, changes))
    ...                                                       # apply; arm again after each
    yield from disarm(armed)                                  # change, with the longer list

The task (ITaskSettings::StartWhenAvailable and DeleteExpiredTaskAfter on Microsoft Learn),
registered with
`Register-ScheduledTask -TaskName <run>-<window> -TaskPath \\orchestrator\\ -Xml -Force`
(-Force replaces the task armed before: one task per window and host, the newest list):
- principal SYSTEM (S-1-5-18, ServiceAccount, highest run level): no password stored;
- one TimeTrigger: StartBoundary = the deadline on the HOST's clock (deadline + skew), and
  an EndBoundary `end_after` later, without which StartWhenAvailable does not apply: a host
  down at the deadline runs the missed task ~10 minutes after it is back, until EndBoundary;
- StartWhenAvailable, DeleteExpiredTaskAfter (valid only with an EndBoundary, else
  SCHED_E_MISSINGNODE), ExecutionTimeLimit PT1H, MultipleInstancesPolicy IgnoreNew;
- one action, `powershell.exe -NoProfile -NonInteractive -Command "<undo>; <undo>; ..."`:
  every undo of the window on that host so far, last change first (failsafe_script.py).
Arming reads the task back (Get-ScheduledTask) and checks its StartBoundary, action and
principal. Disarming is `Unregister-ScheduledTask -Confirm:$false` (it prompts otherwise: its
Microsoft Learn page); a task already gone (fired and expired, or never registered) is fine.

Where a change is an AD group membership and the forest has PAM, the membership can carry a
TTL as well (failsafe_pam.py); the task is still needed for everything else, the Guest
account above all (a TTL ends a link, it disables no account).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orchestrator.commands import SWITCH, Command
from orchestrator.engine.failsafe_clock import TargetClock, read_clock
from orchestrator.engine.failsafe_json import command_from_json, command_to_json, normalised
from orchestrator.engine.failsafe_script import failsafe_action, failsafe_commands
from orchestrator.errors import WindowError
from orchestrator.modules.logic import first, read, run, settle
from orchestrator.modules.protocol import Logic
from orchestrator.modules.scheduled_task import TASK_NOT_FOUND
from orchestrator.modules.task_xml import ExecAction, OneShotTask, boundary, principal_id, task_xml

__all__ = [
    "ArmedFailsafe",
    "FailsafePlan",
    "FailsafeRun",
    "TargetClock",
    "arm",
    "disarm",
    "disarm_task",
    "last_run",
    "read_clock",
    "task_name",
]

TASK_PATH = "\\orchestrator\\"
END_AFTER = timedelta(days=1)  # how long after the deadline a host that was down still runs it
DELETE_AFTER = timedelta(days=1)  # after EndBoundary: time for `rollback` to read the result
SYSTEM = "SYSTEM"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 120
# LastTaskResult before the first run (Task Scheduler Error and Success Constants)
SCHED_S_TASK_HAS_NOT_RUN = 0x41303


def task_name(run_id: str, window: str) -> str:
    """`<run id>-<window>` in safe characters; a short digest keeps altered names distinct."""
    raw = f"{run_id}-{window}"
    safe = _UNSAFE.sub("_", raw)
    if safe == raw and len(raw) <= _MAX_NAME:
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
    return f"{safe[:_MAX_NAME]}-{digest}"


@dataclass(frozen=True)
class FailsafePlan:
    """What to arm on one host: its window, the deadline, its clock, its changes' undo.

    changes: each change's undo commands on this host, in the order the changes were applied
    (a single group already in running order works too: its order is kept).
    """

    run_id: str
    window: str
    host: str
    deadline: datetime  # on the orchestrator's clock, aware
    clock: TargetClock
    changes: tuple[tuple[Command, ...], ...]
    end_after: timedelta = END_AFTER
    delete_after: timedelta = DELETE_AFTER

    def __post_init__(self) -> None:
        if not self.run_id or not self.window:
            raise ValueError("a failsafe needs a run id and a window name")
        if self.end_after <= timedelta(0):
            raise ValueError("end_after must be positive: StartWhenAvailable needs it")
        if self.deadline <= self.clock.orchestrator_now:
            raise WindowError(f"window '{self.window}': the deadline passed; undo now instead")

    def armed(self) -> ArmedFailsafe:
        """The failsafe this plan registers (pure; WindowError if its script cannot be)."""
        commands = tuple(normalised(c) for c in failsafe_commands(self.changes))
        if not commands:
            raise ValueError("nothing to undo on this host: disarm instead of arming")
        start = self.clock.on_target(self.deadline)
        return ArmedFailsafe(
            self.host,
            task_name(self.run_id, self.window),
            TASK_PATH,
            self.deadline,
            start,
            start + self.end_after,
            self.clock.skew,
            commands,
        )

    def task(self, armed: ArmedFailsafe, action: ExecAction) -> OneShotTask:
        """The task's definition."""
        return OneShotTask(
            start=armed.start,
            end=armed.end,
            actions=(action,),
            start_when_available=True,
            delete_expired_after=self.delete_after,
            user=SYSTEM,
            description=(
                f"orchestrator failsafe of run {self.run_id}, window {self.window}: undoes"
                f" {len(armed.commands)} commands at the deadline {self.deadline.isoformat()}"
            ),
        )


@dataclass(frozen=True)
class ArmedFailsafe:
    """A registered failsafe task, as the journal keeps it (`to_json`/`from_json`)."""

    host: str
    task_name: str
    task_path: str
    deadline: datetime  # the orchestrator's clock
    start: datetime  # StartBoundary, on the host's clock
    end: datetime  # EndBoundary, on the host's clock
    skew: timedelta  # the host's clock minus the orchestrator's, when armed
    commands: tuple[Command, ...]  # what the task runs, in order

    @property
    def where(self) -> str:
        """host:\\path\\name, for messages."""
        return f"{self.host}:{self.task_path}{self.task_name}"

    def to_json(self) -> dict[str, Any]:
        """JSON-able; no secret can be in it (a failsafe's commands are literals)."""
        return {
            "host": self.host,
            "task_name": self.task_name,
            "task_path": self.task_path,
            "deadline": self.deadline.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "skew_seconds": self.skew.total_seconds(),
            "commands": [command_to_json(c) for c in self.commands],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArmedFailsafe:
        """The ArmedFailsafe `to_json` wrote."""
        return cls(
            str(data["host"]),
            str(data["task_name"]),
            str(data["task_path"]),
            datetime.fromisoformat(data["deadline"]),
            datetime.fromisoformat(data["start"]),
            datetime.fromisoformat(data["end"]),
            timedelta(seconds=float(data["skew_seconds"])),
            tuple(command_from_json(c) for c in data["commands"]),
        )


def arm(plan: FailsafePlan) -> Logic[ArmedFailsafe]:
    """Register (or replace) the host's failsafe task, then read it back to check it."""
    armed = plan.armed()
    action = failsafe_action(armed.commands)
    xml = task_xml(plan.task(armed, action))
    yield from run(
        settle(  # -Force: registering it again replaces it with the same definition
            "Register-ScheduledTask",
            TaskName=armed.task_name,
            TaskPath=armed.task_path,
            Xml=xml,
            Force=SWITCH,
        )
    )
    yield from _verify(armed, action)
    return armed


def _verify(armed: ArmedFailsafe, action: ExecAction) -> Logic[None]:
    result = yield from run(
        read("Get-ScheduledTask", TaskName=armed.task_name, TaskPath=armed.task_path),
        allow={TASK_NOT_FOUND},
    )
    task = first(result)
    if task is None:
        raise WindowError(f"failsafe {armed.where}: registered, yet Get-ScheduledTask finds none")
    wrong = _differences(task, armed, action)
    if wrong:
        raise WindowError(f"failsafe {armed.where} is not as registered: {'; '.join(wrong)}")


def _differences(task: Mapping[str, Any], armed: ArmedFailsafe, action: ExecAction) -> list[str]:
    trigger = next(iter(task.get("Triggers") or ()), None) or {}
    start = trigger.get("StartBoundary")
    actions = [(a.get("Execute"), a.get("Arguments")) for a in task.get("Actions") or ()]
    user = (task.get("Principal") or {}).get("UserId")
    checks = (
        (_same_time(start, armed.start), f"StartBoundary {start}, not {boundary(armed.start)}"),
        (actions == [(action.command, action.arguments)], "its action is another one"),
        (principal_id(str(user)) == principal_id(SYSTEM), f"it runs as {user}, not SYSTEM"),
    )
    return [problem for ok, problem in checks if not ok]


def _same_time(text: Any, wanted: datetime) -> bool:
    """A boundary read back: wall-clock time when either side has no offset (Windows may
    show it in local time without one), else the same instant."""
    if not isinstance(text, str):
        return False
    try:
        shown = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    if shown.tzinfo is None or wanted.tzinfo is None:
        return shown.replace(tzinfo=None) == wanted.replace(tzinfo=None)
    return shown == wanted


def disarm(armed: ArmedFailsafe) -> Logic[None]:
    """Unregister the task; one already gone (fired and deleted, never registered) is fine."""
    yield from disarm_task(armed.task_name, armed.task_path)


def disarm_task(name: str, path: str = TASK_PATH) -> Logic[None]:
    """`disarm` by the task's name and path alone (what a journal may keep of it)."""
    yield from run(
        settle("Unregister-ScheduledTask", TaskName=name, TaskPath=path, Confirm=False),
        allow={TASK_NOT_FOUND},
    )


@dataclass(frozen=True)
class FailsafeRun:
    """What Get-ScheduledTaskInfo says of a failsafe task that still exists."""

    ran: bool
    last_run_time: str | None  # the host's clock, as pypsrp gives a DateTime
    last_result: int  # LastTaskResult: powershell.exe's exit code once it ran

    @property
    def succeeded(self) -> bool:
        """It ran, and its last undo succeeded."""
        return self.ran and self.last_result == 0


def last_run(armed: ArmedFailsafe) -> Logic[FailsafeRun | None]:
    """Whether the failsafe fired (read-only); None when the task is gone."""
    result = yield from run(
        read("Get-ScheduledTaskInfo", TaskName=armed.task_name, TaskPath=armed.task_path),
        allow={TASK_NOT_FOUND},
    )
    info = first(result)
    if info is None:
        return None
    code = int(info.get("LastTaskResult") or 0)
    when = info.get("LastRunTime")
    ran = when is not None and code != SCHED_S_TASK_HAS_NOT_RUN
    return FailsafeRun(ran, None if when is None else str(when), code)
