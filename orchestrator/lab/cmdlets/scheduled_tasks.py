"""ScheduledTasks (CDXML) cmdlets: Register-ScheduledTask -Xml, Unregister-,
Get-, Start-ScheduledTask and Get-ScheduledTaskInfo.

CDXML FQEIDs are "<ErrorId>,<Cmdlet-Name>". Registering an existing name without -Force is a
non-terminating HRESULT 0x800700b7; XML the Task Scheduler rejects (e.g. DeleteExpiredTaskAfter
without an EndBoundary: SCHED_E_MISSINGNODE) is non-terminating too. Unregister prompts
(ConfirmImpact High) unless -Confirm:$false.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import has_wildcard, like, prop, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain import lifecycle
from orchestrator.lab.domain.tasks import (
    ScheduledTask,
    TaskXmlError,
    parse_task_xml,
)

CIM = "Microsoft.Management.Infrastructure.CimInstance"
NAMESPACE = "Root/Microsoft/Windows/TaskScheduler"
CIM_EXCEPTION = "Microsoft.Management.Infrastructure.CimException"
ERROR_ALREADY_EXISTS = 0x800700B7


def _types(cls: str) -> tuple[str, ...]:
    return (f"{CIM}#{NAMESPACE}/{cls}", f"{CIM}#{cls}", CIM, "System.Object")


def _iso(value: object) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S") if hasattr(value, "strftime") else None


def _duration(value: timedelta | None) -> str | None:
    if value is None:
        return None
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    return f"P{days}D" if rest == 0 and days else f"PT{seconds}S"


def task_object(task: ScheduledTask) -> PSObject:
    """An MSFT_ScheduledTask."""
    spec = task.definition
    actions = [
        ps(_types("MSFT_TaskExecAction"), {"Execute": a.command, "Arguments": a.arguments})
        for a in spec.actions
    ]
    trigger = ps(
        _types("MSFT_TaskTimeTrigger"),
        {
            "StartBoundary": _iso(spec.start_boundary),
            "EndBoundary": _iso(spec.end_boundary),
            "Enabled": spec.trigger_enabled,
        },
    )
    settings = ps(
        _types("MSFT_TaskSettings3"),
        {
            "StartWhenAvailable": spec.start_when_available,
            "DeleteExpiredTaskAfter": _duration(spec.delete_expired_after),
            "Enabled": spec.enabled,
        },
    )
    principal = ps(_types("MSFT_TaskPrincipal2"), {"UserId": spec.user_id})
    props = {
        "Actions": actions,
        "Principal": principal,
        "Settings": settings,
        "State": task.state,
        "TaskName": task.name,
        "TaskPath": task.path,
        "Triggers": [trigger] if spec.start_boundary else [],
        "URI": task.path + task.name,
    }
    text = f'MSFT_ScheduledTask (TaskName = "{task.name}", TaskPath = "{task.path}")'
    return ps(_types("MSFT_ScheduledTask"), props, text)


def info_object(task: ScheduledTask) -> PSObject:
    """An MSFT_TaskDynamicInfo (Get-ScheduledTaskInfo)."""
    props = {
        "LastRunTime": task.last_run_time,
        "LastTaskResult": task.last_result,
        "NextRunTime": task.next_run_time,
        "NumberOfMissedRuns": task.missed_runs,
        "TaskName": task.name,
        "TaskPath": task.path,
    }
    return ps(_types("MSFT_TaskDynamicInfo"), props, "MSFT_TaskDynamicInfo")


def _key(path: str, name: str) -> str:
    return (path + name).lower()


def _not_found(inv: Invocation, name: str) -> None:
    inv.write_error(
        inv.record(
            f"No MSFT_ScheduledTask objects found with property 'TaskName' equal to '{name}'.  "
            "Verify the value of the property and retry.",
            ErrorKind(
                "CmdletizationQuery_NotFound_TaskName",
                "ObjectNotFound",
                "Microsoft.PowerShell.Cmdletization.Cim.CimJobException",
            ),
            name,
            "String",
        )
    )


def _cim_error(inv: Invocation, hresult: int, message: str, category: str) -> None:
    inv.write_error(
        inv.record(
            message,
            ErrorKind(f"HRESULT 0x{hresult:08x}", category, CIM_EXCEPTION),
            "PS_ScheduledTask",
            f"{NAMESPACE}/PS_ScheduledTask",
        )
    )


def register_scheduled_task(inv: Invocation) -> None:
    """Register-ScheduledTask -TaskName -Xml [-TaskPath] [-Force]."""
    name, path = inv.args.text("TaskName"), inv.args.text("TaskPath", "\\") or "\\"
    existing = inv.host.tasks.get(_key(path, name))
    if existing is not None and not inv.args.flag("Force"):
        _cim_error(
            inv,
            ERROR_ALREADY_EXISTS,
            "Cannot create a file when that file already exists.",
            "ResourceExists",
        )
        return
    try:
        definition = parse_task_xml(inv.args.text("Xml"))
    except TaskXmlError as exc:
        _cim_error(inv, exc.hresult, str(exc), "NotSpecified")  # [U] category of SCHED_E_*
        return
    if existing is not None:
        lifecycle.disarm_task(inv.state, existing)
    task = ScheduledTask(name, path, definition)
    inv.host.tasks[_key(path, name)] = task
    lifecycle.arm_task(inv.state, inv.host, task)
    inv.write(task_object(task))


def _selected(inv: Invocation) -> Iterator[ScheduledTask]:
    names = inv.args.texts("TaskName")
    if inv.args.has("InputObject"):
        piped = inv.args.get("InputObject")
        names = tuple(
            prop(i, "TaskName") or str(i) for i in (piped if isinstance(piped, tuple) else (piped,))
        )
    paths = inv.args.texts("TaskPath")
    tasks = [t for t in inv.host.tasks.values() if not paths or any(like(p, t.path) for p in paths)]
    if not names:
        yield from sorted(tasks, key=lambda t: (t.path + t.name).lower())
        return
    for name in names:
        found = [t for t in tasks if like(name, t.name)]
        if not found and not has_wildcard(name):
            _not_found(inv, name)
        yield from found


def get_scheduled_task(inv: Invocation) -> None:
    """Get-ScheduledTask [-TaskName] [-TaskPath]."""
    for task in _selected(inv):
        inv.write(task_object(task))


def get_scheduled_task_info(inv: Invocation) -> None:
    """Get-ScheduledTaskInfo -TaskName | -InputObject."""
    for task in _selected(inv):
        inv.write(info_object(task))


def unregister_scheduled_task(inv: Invocation) -> None:
    """Unregister-ScheduledTask: ConfirmImpact High; not-found is non-terminating."""
    for task in list(_selected(inv)):
        if inv.should_process(task.path + task.name, "Delete"):
            lifecycle.disarm_task(inv.state, task)
            inv.host.tasks.pop(_key(task.path, task.name), None)


def start_scheduled_task(inv: Invocation) -> None:
    """Start-ScheduledTask: run the task's actions now (its trigger stays armed)."""
    for task in list(_selected(inv)):
        lifecycle.run_task(inv.state, inv.host, task, on_demand=True)


_NAME = Param("TaskName", Kind.STRINGS, position=0)
_PATH = Param("TaskPath", Kind.STRINGS, position=1)
_INPUT = Param("InputObject", Kind.OBJECTS, pipeline=True)
SPECS = (
    CmdletSpec(
        "Register-ScheduledTask",
        "Register-ScheduledTask",
        register_scheduled_task,
        (
            Param("TaskName", mandatory=True, position=0, not_empty=True),
            Param("TaskPath", position=1),
            Param("Xml", mandatory=True),
            Param("User"),
            Param("Password"),
            Param("Force", Kind.SWITCH),
        ),
        cdxml=True,
    ),
    CmdletSpec(
        "Unregister-ScheduledTask",
        "Unregister-ScheduledTask",
        unregister_scheduled_task,
        (_NAME, _PATH, _INPUT),
        impact=Impact.HIGH,
        cdxml=True,
        require_one=("TaskName", "InputObject"),
    ),
    CmdletSpec(
        "Get-ScheduledTask", "Get-ScheduledTask", get_scheduled_task, (_NAME, _PATH), cdxml=True
    ),
    CmdletSpec(
        "Get-ScheduledTaskInfo",
        "Get-ScheduledTaskInfo",
        get_scheduled_task_info,
        (_NAME, _PATH, _INPUT),
        cdxml=True,
        require_one=("TaskName", "InputObject"),
    ),
    CmdletSpec(
        "Start-ScheduledTask",
        "Start-ScheduledTask",
        start_scheduled_task,
        (_NAME, _PATH, _INPUT),
        cdxml=True,
        require_one=("TaskName", "InputObject"),
    ),
)
