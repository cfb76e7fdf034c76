"""The failsafe task's action: every undo of a window on one host, each run whatever the
others do.

The modules' undo commands carry `-ErrorAction Stop` (a change must fail loudly when the
orchestrator runs it), but in `powershell.exe -Command` an error escalated by Stop ends the
whole script (-ErrorAction in about_CommonParameters), so one failed undo would leave the rest
undone. Here it becomes `-ErrorAction Continue`: a non-terminating error is written and the
next statement runs; a cmdlet's own terminating error (ADIdentityNotFound) ends only its
statement.

Every undo must also be harmless when the orchestrator already did it (PowerShell's
LocalAccounts source; the AD and ScheduledTasks cmdlets' pages on Microsoft Learn):
Enable/Disable-LocalUser and -ADAccount are silent no-ops in the wanted state;
Add/Remove-ADGroupMember are permissive; Remove-LocalGroupMember of a non-member is
MemberNotFound and Add-LocalGroupMember of a member is MemberExists, both non-terminating;
Unregister-ScheduledTask of a missing task is a non-terminating not-found. A member list is
split into one command per member, so that one member already gone (or AD's all-or-nothing
validation of -Members) cannot keep the others in place.

LastTaskResult is powershell.exe's exit code: 0 when the LAST statement succeeded
(PowerShell/PowerShell#13501).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orchestrator.commands import Command
from orchestrator.errors import WindowError
from orchestrator.modules.task_xml import POWERSHELL, ExecAction, powershell_action

# CreateProcess's lpCommandLine holds at most 32,767 characters, program included [U: the
# Task Scheduler's own limit on Arguments was not found; this is the process's]
MAX_COMMAND_LINE = 32_767
_ERROR_ACTION = frozenset({"erroraction", "ea"})
_PER_MEMBER = frozenset({"member", "members"})


def tolerant(command: Command) -> list[Command]:
    """The command as the failsafe runs it: -ErrorAction Stop made Continue, one per member."""
    params = [(k, "Continue" if _is_stop(k, v) else _listed(v)) for k, v in command.parameters]
    split = next((i for i, (k, v) in enumerate(params) if _splittable(k, v)), None)
    if split is None:
        return [Command(command.cmdlet, tuple(params), command.mutating)]
    name, members = params[split]
    return [
        Command(
            command.cmdlet, (*params[:split], (name, [m]), *params[split + 1 :]), command.mutating
        )
        for m in members
    ]


def _is_stop(name: str, value: Any) -> bool:
    return name.lower() in _ERROR_ACTION and str(value).lower() == "stop"


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _splittable(name: str, value: Any) -> bool:
    return name.lower() in _PER_MEMBER and isinstance(value, list) and len(value) > 1


def failsafe_commands(changes: Sequence[Sequence[Command]]) -> tuple[Command, ...]:
    """Each change's undo (given in the order the changes were applied), last change first,
    made tolerant; a change's own commands keep their order."""
    return tuple(t for undo in reversed(changes) for c in undo for t in tolerant(c))


def failsafe_action(commands: Sequence[Command]) -> ExecAction:
    """The powershell.exe action running `commands`; WindowError if one cannot be written as
    a literal (a secret, a multi-valued parameter) or the command line would be too long."""
    try:
        action = powershell_action(commands)
    except ValueError as exc:
        raise WindowError(f"the failsafe cannot run this undo: {exc}") from exc
    length = len(POWERSHELL) + 1 + len(action.arguments)
    if length > MAX_COMMAND_LINE:
        raise WindowError(
            f"the failsafe's command line would be {length} characters, over Windows'"
            f" {MAX_COMMAND_LINE}: split the window, or fewer changes per host"
        )
    return action
