"""Runs a scheduled task's Exec actions as SYSTEM when its trigger fires.

`powershell.exe ... -Command "<simple cmdlets>"` runs through the cmdlet engine with
powershell.exe's exit code as LastTaskResult; a script outside the supported subset fails like
a parse error (exit code 1). Another program runs if its file exists (Smsman.exe: at once, no
waiting inside a clock event) and its exit code is LastTaskResult; a missing program gives
0x80070002. A program on a UNC path (\\\\SITE1\\SMSLOGON\\...\\Smsman.exe) is read over the
share as the computer account, which is what SYSTEM is on the network: no second hop. A share
it cannot read gives the HRESULT of the Win32 error (0x80070035 server unreachable, 0x80070043
no such share, 0x80070005 access denied, 0x80070002 no such file) [U which HRESULT Windows
reports for each].
"""

from __future__ import annotations

from orchestrator.lab.cmdlets.engine import Catalog, run_script
from orchestrator.lab.cmdlets.runtime import Session
from orchestrator.lab.cmdlets.script import ScriptError, parse_script, script_text
from orchestrator.lab.domain import network, processes
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.state import LabState, TaskRunner
from orchestrator.lab.domain.tasks import ExecAction, ScheduledTask

HRESULT_WIN32 = 0x80070000  # HRESULT_FROM_WIN32
ERROR_FILE_NOT_FOUND = HRESULT_WIN32 | 2
PARSE_ERROR_EXIT = 1
SYSTEM = "NT AUTHORITY\\SYSTEM"
_POWERSHELL = ("powershell.exe", "powershell")


def _powershell(catalog: Catalog, state: LabState, host: Host, action: ExecAction) -> int:
    try:
        text = script_text(action.arguments)
        statements = parse_script(text, lambda c, p: catalog.is_switch(host, c, p))
    except ScriptError:
        return PARSE_ERROR_EXIT
    session = Session(state, host, SYSTEM, remote=False, can_wait=False)
    return run_script(catalog, session, statements)


def _run(catalog: Catalog, state: LabState, host: Host, action: ExecAction) -> int:
    if processes.program_name(action.command) in _POWERSHELL:
        return _powershell(catalog, state, host, action)
    if network.is_unc(action.command):
        access = network.computer_reads(state, action.command)
        if not access.granted:
            return HRESULT_WIN32 | access.value
    elif not host.has_file(action.command):
        return ERROR_FILE_NOT_FOUND
    args = tuple(action.arguments.split())
    proc = processes.start(state, host, action.command, args, now=True)
    return proc.exit_code or 0


def task_runner(catalog: Catalog) -> TaskRunner:
    """A TaskRunner over `catalog`: each action in turn; the last one's result counts."""

    def run(state: LabState, host: Host, task: ScheduledTask) -> int:
        result = 0
        for action in task.definition.actions:
            result = _run(catalog, state, host, action)
        return result

    return run
