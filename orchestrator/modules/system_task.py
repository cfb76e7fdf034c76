"""Running a program as SYSTEM through a one-shot scheduled task (`process` `run_as: system`).

Over WinRM a program runs in a network logon, which has no credentials to hand on: a
program reading `\\\\logonpoint\\SMSLOGON` from there fails (the second hop). A task running
as SYSTEM acts with the computer account, which the share admits, as administrators do it
by hand ("Register-ScheduledTask", "Start-ScheduledTask", "Get-ScheduledTaskInfo" on
Microsoft Learn). The task never fires by itself (a trigger in the past, StartWhenAvailable
off): it runs when started, its LastTaskResult is the program's exit code, and it is
unregistered once read. Its name is derived from the program and its arguments, so an
attempt whose answer was lost finds the task it registered and collects its result instead
of starting the program a second time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.commands import SWITCH
from orchestrator.modules.logic import change, first, read, run, settle
from orchestrator.modules.protocol import Logic, Wait
from orchestrator.modules.task_xml import ExecAction, OneShotTask, task_xml

TASK_PATH = "\\orchestrator\\"
TASK_NOT_FOUND = "CmdletizationQuery_NotFound_TaskName"
RUNNING = 0x41301  # SCHED_S_TASK_RUNNING (Task Scheduler Error and Success Constants)
NOT_RUN_YET = 0x41303  # SCHED_S_TASK_HAS_NOT_RUN
POLL_SECONDS = 2.0
_NEVER_BY_ITSELF = datetime(2000, 1, 1)  # a one-shot trigger long past: it never fires


@dataclass(frozen=True)
class TaskRun:
    """What Get-ScheduledTaskInfo says of the task: has it run, and how did it end."""

    ran: bool
    result: int

    @property
    def finished(self) -> bool:
        """It ran and is no longer running."""
        return self.ran and self.result != RUNNING


def task_name(path: str, arguments: tuple[str, ...]) -> str:
    """The task's name: the same program and arguments give the same name."""
    key = "\x00".join([path.lower(), *arguments]).encode()
    return f"run-{hashlib.sha256(key).hexdigest()[:16]}"


def task_run(name: str) -> Logic[TaskRun | None]:
    """The task's state (read-only), or None when there is no such task."""
    result = yield from run(
        read("Get-ScheduledTaskInfo", TaskName=name, TaskPath=TASK_PATH), allow={TASK_NOT_FOUND}
    )
    info = first(result)
    if info is None:
        return None
    code = int(info.get("LastTaskResult") or 0)
    ran = info.get("LastRunTime") is not None and code != NOT_RUN_YET
    return TaskRun(ran, code)


def run_as_system(path: str, arguments: str, name: str, earlier: TaskRun | None) -> Logic[int]:
    """Run the program in the task `name` (registered and started unless an earlier attempt
    did), wait for it to end, unregister the task, and return the program's exit code."""
    if earlier is None:
        task = OneShotTask(
            _NEVER_BY_ITSELF,
            _NEVER_BY_ITSELF + timedelta(days=1),
            (ExecAction(path, arguments),),
            start_when_available=False,
            delete_expired_after=None,
            description="orchestrator: one run of a program as SYSTEM",
        )
        register = settle(
            "Register-ScheduledTask", TaskName=name, TaskPath=TASK_PATH, Xml=task_xml(task),
            Force=SWITCH,
        )  # fmt: skip
        yield from run(register)
    if earlier is None or not earlier.ran:
        yield from run(change("Start-ScheduledTask", TaskName=name, TaskPath=TASK_PATH))
    state = yield from _finished(name)
    yield from run(
        settle("Unregister-ScheduledTask", TaskName=name, TaskPath=TASK_PATH, Confirm=False),
        allow={TASK_NOT_FOUND},
    )
    return state.result


def _finished(name: str) -> Logic[TaskRun]:
    while True:
        state = yield from task_run(name)
        if state is None:
            return TaskRun(True, NOT_RUN_YET)  # someone removed it: nothing to collect
        if state.finished:
            return state
        yield Wait(POLL_SECONDS)
