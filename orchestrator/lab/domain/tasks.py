"""Scheduled tasks: the Task Scheduler XML a task is registered with, parsed safely, and the
task's run state (Task Scheduler schema and ITaskSettings on Microsoft Learn).

Only what the failsafe needs is interpreted: one-shot TimeTriggers (StartBoundary,
EndBoundary, Enabled), StartWhenAvailable, DeleteExpiredTaskAfter, Settings/Enabled, the
principal and Exec actions. Other trigger kinds are kept but never fire.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from orchestrator.lab.clock import Event

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
SCHED_S_TASK_HAS_NOT_RUN = 0x41303  # 267011, LastTaskResult before the first run
SCHED_E_UNEXPECTEDNODE = 0x80041317
SCHED_E_INVALIDVALUE = 0x80041318
SCHED_E_MISSINGNODE = 0x80041319
SCHED_E_MALFORMEDXML = 0x8004131A
MAX_XML_CHARS = 256 * 1024
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class TaskState(enum.Enum):
    """MSFT_ScheduledTask State (its CIM values)."""

    __ps_type_name__ = "Microsoft.PowerShell.Cmdletization.GeneratedTypes.ScheduledTask.StateEnum"

    Unknown = 0
    Disabled = 1
    Queued = 2
    Ready = 3
    Running = 4


class TaskXmlError(Exception):
    """The XML was rejected by the Task Scheduler; carries the SCHED_E_* HRESULT."""

    def __init__(self, hresult: int, message: str) -> None:
        super().__init__(message)
        self.hresult = hresult


@dataclass(frozen=True)
class ExecAction:
    """An Exec action: the program and its argument string."""

    command: str
    arguments: str = ""


@dataclass(frozen=True)
class TaskDefinition:
    """What the XML says; boundaries are on the host's clock (aware, UTC when no offset)."""

    start_boundary: datetime | None
    end_boundary: datetime | None
    trigger_enabled: bool
    start_when_available: bool
    delete_expired_after: timedelta | None
    enabled: bool
    user_id: str
    actions: tuple[ExecAction, ...]
    xml: str = field(repr=False, default="")


@dataclass(eq=False)
class ScheduledTask:
    """A registered task and its run history (Get-ScheduledTaskInfo)."""

    name: str
    path: str
    definition: TaskDefinition
    state: TaskState = TaskState.Ready
    last_run_time: datetime | None = None
    last_result: int = SCHED_S_TASK_HAS_NOT_RUN
    missed_runs: int = 0
    fired: bool = False
    queued_for: datetime | None = None  # host time of a queued missed run (+10 min)
    events: list[Event] = field(default_factory=list, repr=False)

    @property
    def next_run_time(self) -> datetime | None:
        """Host time of the next run; None once a one-shot trigger has fired [U]."""
        if self.queued_for is not None:
            return self.queued_for
        if self.fired or not self.definition.trigger_enabled:
            return None
        return self.definition.start_boundary


def parse_duration(text: str) -> timedelta:
    """An XML schema duration such as PT0S, P1D, PT1H30M."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise TaskXmlError(SCHED_E_INVALIDVALUE, _INVALID)
    d, h, m, s = (match.group(k) for k in ("d", "h", "m", "s"))
    return timedelta(
        days=int(d or 0), hours=int(h or 0), minutes=int(m or 0), seconds=float(s or 0)
    )


def parse_boundary(text: str) -> datetime:
    """A StartBoundary/EndBoundary: ISO 8601, local (= the lab's UTC) when no offset."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise TaskXmlError(SCHED_E_INVALIDVALUE, _INVALID) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_INVALID = "The task XML contains a value which is incorrectly formatted or out of range."
_MISSING = "The task XML is missing a required element or attribute."
_MALFORMED = "The task XML is malformed."


def _parse_root(xml: str) -> Element:
    if len(xml) > MAX_XML_CHARS:
        raise TaskXmlError(SCHED_E_MALFORMEDXML, _MALFORMED)
    # a str carries no encoding; the declaration (often UTF-16 from PowerShell) would mislead
    body = _XML_DECL.sub("", xml, count=1)
    try:
        root: Element = SafeET.fromstring(body, forbid_dtd=True)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise TaskXmlError(SCHED_E_MALFORMEDXML, _MALFORMED) from exc
    if _local(root.tag) != "Task":
        raise TaskXmlError(SCHED_E_UNEXPECTEDNODE, "The task XML contains an unexpected node.")
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    return next((c for c in parent if _local(c.tag) == name), None)


def _text(parent: Element | None, name: str) -> str | None:
    node = _child(parent, name)
    return node.text.strip() if node is not None and node.text else None


def _bool(parent: Element | None, name: str, default: bool) -> bool:
    text = _text(parent, name)
    if text is None:
        return default
    if text not in ("true", "false"):
        raise TaskXmlError(SCHED_E_INVALIDVALUE, _INVALID)
    return text == "true"


def _actions(root: Element) -> tuple[ExecAction, ...]:
    actions = _child(root, "Actions")
    execs = [a for a in actions or () if _local(a.tag) == "Exec"]
    if not execs:
        raise TaskXmlError(SCHED_E_MISSINGNODE, _MISSING)
    result = []
    for node in execs:
        command = _text(node, "Command")
        if not command:
            raise TaskXmlError(SCHED_E_MISSINGNODE, _MISSING)
        result.append(ExecAction(command, _text(node, "Arguments") or ""))
    return tuple(result)


def parse_task_xml(xml: str) -> TaskDefinition:
    """Validate and read Task Scheduler XML as Register-ScheduledTask -Xml would."""
    root = _parse_root(xml)
    trigger = _child(_child(root, "Triggers"), "TimeTrigger")
    settings = _child(root, "Settings")
    start = _text(trigger, "StartBoundary")
    end = _text(trigger, "EndBoundary")
    expire = _text(settings, "DeleteExpiredTaskAfter")
    if trigger is not None and start is None:
        raise TaskXmlError(SCHED_E_MISSINGNODE, _MISSING)
    if expire is not None and end is None:
        # DeleteExpiredTaskAfter needs an EndBoundary (a task expires when every trigger's
        # EndBoundary has passed: ITaskSettings::DeleteExpiredTaskAfter), else SCHED_E_MISSINGNODE
        raise TaskXmlError(SCHED_E_MISSINGNODE, _MISSING)
    principal = _child(_child(root, "Principals"), "Principal")
    return TaskDefinition(
        start_boundary=parse_boundary(start) if start else None,
        end_boundary=parse_boundary(end) if end else None,
        trigger_enabled=_bool(trigger, "Enabled", True),
        start_when_available=_bool(settings, "StartWhenAvailable", False),
        delete_expired_after=parse_duration(expire) if expire else None,
        enabled=_bool(settings, "Enabled", True),
        user_id=_text(principal, "UserId") or "S-1-5-18",
        actions=_actions(root),
        xml=xml,
    )
