"""Task Scheduler XML for a one-shot task, and powershell.exe actions made of plain cmdlets.

Used by the scheduled_task module and by a rollback window's failsafe, whose task undoes a
window's changes on the host when no orchestrator is left to do it. The rules are the Task
Scheduler's (ITaskSettings::StartWhenAvailable and DeleteExpiredTaskAfter on Microsoft Learn;
Task Scheduler Error and Success Constants): StartWhenAvailable applies only to a time
trigger WITH an EndBoundary, and DeleteExpiredTaskAfter without one is SCHED_E_MISSINGNODE; a
missed run starts about 10 minutes after the host is back. Well-known service accounts need
no password (`LogonType` ServiceAccount).

    xml = task_xml(OneShotTask(start, start + timedelta(hours=1),
                               (powershell_action(undo_commands),)))
    Command.of("Register-ScheduledTask", TaskName=..., Xml=xml, Force=SWITCH, mutating=True)

An action's script is a sequence of simple cmdlet invocations with single-quoted literal
arguments (`Disable-LocalUser -SID 'S-1-5-21-...-501'; ...`): no variables, pipes or
expressions, so nothing in a value can become code, and the lab's task runner can run it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from orchestrator.commands import SWITCH, Command
from orchestrator.secrets import Secret

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
POWERSHELL = "powershell.exe"
_CMDLET = re.compile(r"^[A-Za-z]+-[A-Za-z][A-Za-z0-9]*$")
_PARAM = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')  # a double quote would end powershell.exe's -Command
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
# well-known service accounts, by every spelling, as the SID the XML names them by
SERVICE_ACCOUNTS = {
    "system": "S-1-5-18",
    "nt authority\\system": "S-1-5-18",
    "s-1-5-18": "S-1-5-18",
    "local service": "S-1-5-19",
    "nt authority\\local service": "S-1-5-19",
    "s-1-5-19": "S-1-5-19",
    "network service": "S-1-5-20",
    "nt authority\\network service": "S-1-5-20",
    "s-1-5-20": "S-1-5-20",
}


@dataclass(frozen=True)
class ExecAction:
    """An Exec action: a program and its argument string."""

    command: str
    arguments: str = ""


@dataclass(frozen=True)
class OneShotTask:
    """A task whose one TimeTrigger fires once at `start`, and may still start until `end`."""

    start: datetime
    end: datetime
    actions: tuple[ExecAction, ...]
    start_when_available: bool = True
    delete_expired_after: timedelta | None = timedelta(days=1)
    user: str = "SYSTEM"
    description: str = ""


def principal_id(user: str) -> str:
    """The UserId a task names: a well-known service account's SID, else the name."""
    return SERVICE_ACCOUNTS.get(user.strip().lower(), user)


def boundary(when: datetime) -> str:
    """StartBoundary/EndBoundary text: local time without an offset when `when` is naive."""
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    return when.isoformat(timespec="seconds")


def xml_duration(value: timedelta) -> str:
    """An XML schema duration: P1D, PT1H30M, PT0S."""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not days and not time:
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def parse_xml_duration(text: str) -> timedelta | None:
    """The timedelta of an XML schema duration, or None when it is not one."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        return None
    d, h, m, s = (match.group(k) for k in ("d", "h", "m", "s"))
    return timedelta(
        days=int(d or 0), hours=int(h or 0), minutes=int(m or 0), seconds=float(s or 0)
    )


def task_xml(task: OneShotTask) -> str:
    """The Task Scheduler XML of a one-shot task (Register-ScheduledTask -Xml)."""
    if task.end <= task.start:
        raise ValueError("a one-shot task's end must come after its start")
    if not task.actions:
        raise ValueError("a task needs at least one action")
    return (
        f'<?xml version="1.0" encoding="UTF-16"?><Task version="1.2" xmlns="{TASK_NS}">'
        f"<RegistrationInfo><Description>{escape(task.description)}</Description>"
        "</RegistrationInfo>"
        "<Triggers><TimeTrigger>"
        f"<StartBoundary>{boundary(task.start)}</StartBoundary>"
        f"<EndBoundary>{boundary(task.end)}</EndBoundary>"
        "<Enabled>true</Enabled></TimeTrigger></Triggers>"
        f"{_principal(task.user)}{_settings(task)}"
        f'<Actions Context="Author">{"".join(_exec(a) for a in task.actions)}</Actions></Task>'
    )


def _principal(user: str) -> str:
    user_id = principal_id(user)
    logon = "ServiceAccount" if user_id in SERVICE_ACCOUNTS.values() else "S4U"
    return (
        f'<Principals><Principal id="Author"><UserId>{escape(user_id)}</UserId>'
        f"<LogonType>{logon}</LogonType><RunLevel>HighestAvailable</RunLevel>"
        "</Principal></Principals>"
    )


def _settings(task: OneShotTask) -> str:
    # DeleteExpiredTaskAfter is valid only because the trigger has an EndBoundary: a task
    # expires once every trigger's EndBoundary has passed (ITaskSettings::DeleteExpiredTaskAfter)
    expire = task.delete_expired_after
    expire_xml = (
        ""
        if expire is None
        else f"<DeleteExpiredTaskAfter>{xml_duration(expire)}</DeleteExpiredTaskAfter>"
    )
    return (
        "<Settings><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>"
        "<DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>"
        "<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>"
        f"<StartWhenAvailable>{str(task.start_when_available).lower()}</StartWhenAvailable>"
        f"<Enabled>true</Enabled><ExecutionTimeLimit>PT1H</ExecutionTimeLimit>{expire_xml}"
        "</Settings>"
    )


def _exec(action: ExecAction) -> str:
    arguments = f"<Arguments>{escape(action.arguments)}</Arguments>" if action.arguments else ""
    return f"<Exec><Command>{escape(action.command)}</Command>{arguments}</Exec>"


def command_text(command: Command) -> str:
    """One cmdlet invocation as literal script text: `Verb-Noun -Name 'value' -Switch`."""
    if command.is_script or not _CMDLET.match(command.cmdlet):
        raise ValueError(f"not a plain cmdlet: {command.describe()}")
    parts = [command.cmdlet]
    for name, value in command.parameters:
        if not _PARAM.match(name):
            raise ValueError(f"not a parameter name: {name!r}")
        parts.append(_parameter(name, value))
    return " ".join(parts)


def _parameter(name: str, value: Any) -> str:
    if value is SWITCH:
        return f"-{name}"
    if isinstance(value, bool):
        return f"-{name}:${str(value).lower()}"
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]  # PowerShell binds a scalar to an array parameter
    if isinstance(value, int) and not isinstance(value, bool):
        return f"-{name} {value}"
    if isinstance(value, str) and not _UNSAFE.search(value):
        return f"-{name} '" + value.replace("'", "''") + "'"
    what = "a secret" if isinstance(value, Secret) else type(value).__name__
    raise ValueError(f"-{name}: {what} cannot be written as a literal in a task's script")


def powershell_action(commands: Sequence[Command]) -> ExecAction:
    """A powershell.exe action running `commands` in order (each a plain cmdlet)."""
    if not commands:
        raise ValueError("no commands")
    script = "; ".join(command_text(c) for c in commands)
    return ExecAction(POWERSHELL, f'-NoProfile -NonInteractive -Command "{script}"')
