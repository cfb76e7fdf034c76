"""What every module's logic shares: building commands, sending them, reading their results.

Read-only commands are built with `read`, changes with `change`: a change is marked
`mutating` (plan mode never forwards it) and carries `-ErrorAction Stop`, so a non-terminating
error record fails it instead of being lost (-ErrorAction in about_CommonParameters).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from orchestrator.commands import Command, CommandResult, ErrorInfo
from orchestrator.errors import RemoteError
from orchestrator.modules.protocol import Logic

STOP = "Stop"
# AD cmdlets: identity not found is TERMINATING, with this ErrorId (as captured in
# EvotecIT/PSWinDocumentation#4)
AD_NOT_FOUND = (
    "ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException"
)
# ADWS unreachable (ADServerDownException): "Unable to contact the server ..." [U: the id is
# the one seen in field captures, not verified against a reference]
AD_SERVER_DOWN = "ActiveDirectoryServer:0"

_RELATIVE_SID = re.compile(r"^S-1-5-21-\*-(\d+)$", re.IGNORECASE)
_AUTHORITY_SID = re.compile(r"^S-1-5-21(?:-\d+)+-(\d+)$", re.IGNORECASE)
_SID = re.compile(r"^S-1-\d+(?:-\d+)+$", re.IGNORECASE)


def read(cmdlet: str, **parameters: Any) -> Command:
    """A read-only command (None values are left out)."""
    return Command.of(cmdlet, **parameters)


def change(cmdlet: str, **parameters: Any) -> Command:
    """A mutating command with -ErrorAction Stop (None values are left out)."""
    return Command.of(cmdlet, mutating=True, **parameters, ErrorAction=STOP)


def settle(cmdlet: str, **parameters: Any) -> Command:
    """A mutating command that is safe to send twice (the second does nothing more): sent
    again at once when its answer is lost, instead of sending the step back to its probe."""
    return replace(change(cmdlet, **parameters), idempotent=True)


def send(command: Command) -> Logic[CommandResult]:
    """Yield one command and return its result."""
    result = yield command
    if result is None:  # a driver answers every Command with its result
        raise TypeError(f"no result for {command.cmdlet}")
    return result


def run(command: Command, *, allow: Collection[str] = ()) -> Logic[CommandResult]:
    """Send a command; raise RemoteError for an error record whose ErrorId is not allowed."""
    result = yield from send(command)
    raise_errors(result, allow=allow)
    return result


def raise_errors(result: CommandResult, *, allow: Collection[str] = ()) -> None:
    """RemoteError for the first error record not allowed (a script's text is never shown)."""
    for error in result.errors:
        if error.error_id not in allow:
            raise remote_error(result.command, error)


def remote_error(command: Command, error: ErrorInfo, detail: str = "") -> RemoteError:
    """The RemoteError of an error record, optionally with what it means for the step."""
    script = command.is_script
    head = "<script>" if script else command.cmdlet
    message = f"{head}: {error.message}" + (f" ({detail})" if detail else "")
    # the lab (and PowerShell's parser) puts the script text in the record's target
    target = "" if script else error.target
    return RemoteError(
        message, fq_error_id=error.fq_error_id, category=error.category, target=target
    )


def objects(result: CommandResult) -> list[Mapping[str, Any]]:
    """The output objects of a result (plain values are skipped)."""
    return [o for o in result.outputs if isinstance(o, Mapping)]


def first(result: CommandResult) -> Mapping[str, Any] | None:
    """The first output object, or None."""
    found = objects(result)
    return found[0] if found else None


def is_sid(text: str) -> bool:
    """A SID string such as S-1-5-32-545 (not the relative S-1-5-21-*-RID form)."""
    return _SID.match(text.strip()) is not None


def relative_rid(text: str) -> int | None:
    """501 for `S-1-5-21-*-501` (the host's or domain's own account with that RID), else None."""
    match = _RELATIVE_SID.match(text.strip())
    return int(match.group(1)) if match else None


def has_rid(sid: str, rid: int) -> bool:
    """True when `sid` is an account of a machine or domain authority with RID `rid`."""
    match = _AUTHORITY_SID.match(str(sid).strip())
    return match is not None and int(match.group(1)) == rid


def same_sid(a: str | None, b: str | None) -> bool:
    """SIDs compare case-insensitively."""
    return a is not None and b is not None and a.strip().upper() == b.strip().upper()


def same_name(a: str | None, b: str | None) -> bool:
    """Account names compare case-insensitively, as SAM and AD do."""
    return a is not None and b is not None and a.casefold() == b.casefold()
