"""One Command as one pypsrp PowerShell: built structurally, driven to its end or its deadline.

A new PowerShell per command: `add_cmdlet` appends to an old one's commands (pypsrp #196).
Values are bound as parameters, never pasted into text; a script (`is_script`) is sent with
add_script and its parameters bound by name too. pypsrp has no per-pipeline deadline
(pypsrp #145), so `drive` polls with `poll_invoke(timeout)` and stops the pipeline (ctrl_c)
once the deadline passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import UnionType
from typing import Any
from xml.etree import ElementTree as ET

from pypsrp.complex_objects import Command as PSCommand
from pypsrp.complex_objects import ObjectMeta, PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool

from orchestrator.commands import SWITCH, Command
from orchestrator.deadline import Deadline
from orchestrator.secrets import Secret

_I32 = range(-(2**31), 2**31)
_I64 = range(-(2**63), 2**63)
_FINISHED = (PSInvocationState.COMPLETED, PSInvocationState.FAILED, PSInvocationState.STOPPED)

UNSIGNALLED_PER_POOL = 10
"""Finished pipelines a pool may hold unsignalled, then the transport renews it (see release):
below 15, the lowest default of the quotas that count them (MaxProcessesPerShell in WinRM 2.0)."""


class DeadlineReachedError(Exception):
    """The command's deadline passed while it was still running."""


def name_of(command: Command) -> str:
    """The command as messages and logs may name it: a script's text never appears."""
    return "<script>" if command.is_script else command.cmdlet


def has_secret(command: Command) -> bool:
    """Whether a parameter value holds a Secret (then the pool needs exchange_keys)."""
    return any(_holds_secret(value) for _, value in command.parameters)


def _holds_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, list | tuple):
        return any(_holds_secret(v) for v in value)
    if isinstance(value, Mapping):
        return any(_holds_secret(v) for v in value.values())
    return False


class _SharedCommand(PSCommand):
    """pypsrp's Command (what add_cmdlet/add_script build), never deep-copied.

    pypsrp 0.9.1 deep-copies every command of a pipeline twice while it serializes one
    CREATE_PIPELINE (`Pipeline._get_statements`, once for Cmds and once for ExtraCmds), so
    that lxml would not move an element from one parent to another; pypsrp builds its XML with
    the standard library's ElementTree, which never moves elements, and only reads the copies.
    The copies were ~10% of the client's CPU per probe (cProfile of 300 probes, issue 13).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedCommand:
        return self


def build(pool: RunspacePool, command: Command) -> PowerShell:
    """A new PowerShell holding the command and its parameters."""
    ps = PowerShell(pool)
    version = pool.protocol_version or ""
    ps.add_command(
        _SharedCommand(command.cmdlet, protocol_version=version, is_script=command.is_script)
    )
    for name, value in command.parameters:
        if value is SWITCH:
            ps.add_parameter(name)  # no value: a switch (-Force)
        else:
            ps.add_parameter(name, wire_value(pool, value))
    return ps


def check_parameters(command: Command) -> None:
    """TypeError for a parameter value that cannot be sent, before anything is sent."""
    for _, value in command.parameters:
        _check(value)


def _check(value: Any) -> None:
    if value is None or value is SWITCH:
        return
    if not any(isinstance(value, kind) for kind, _ in _WIRE):
        raise TypeError(f"cannot send a {type(value).__name__} as a parameter value")
    if isinstance(value, int) and not isinstance(value, bool) and value not in _I64:
        raise TypeError("an integer parameter value does not fit in Int64")
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple):
        for item in value:
            _check(item)


def wire_value(pool: RunspacePool, value: Any) -> Any:
    """A parameter value as pypsrp should serialize it.

    Secrets become SecureStrings (the pool's session key must be exchanged first); None is
    an explicit $null (pypsrp would send a bare switch); ints outside Int32 are Int64 and
    floats are Double (pypsrp picks I32 and Single); unknown types are refused rather than
    sent as their str().
    """
    if value is None:
        return ET.Element("Nil")
    for kind, convert in _WIRE:
        if isinstance(value, kind):
            return convert(pool, value)
    raise TypeError(f"cannot send a {type(value).__name__} as a parameter value")


def _secure(pool: RunspacePool, value: Secret) -> Any:
    return pool.serialize(value.reveal(), ObjectMeta("SS"))


def _integer(pool: RunspacePool, value: int) -> Any:
    if value in _I32:
        return value
    if value in _I64:
        return pool.serialize(value, ObjectMeta("I64"))
    raise TypeError("an integer parameter value does not fit in Int64")


def _sequence(pool: RunspacePool, value: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [wire_value(pool, v) for v in value]


def _mapping(pool: RunspacePool, value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): wire_value(pool, v) for k, v in value.items()}


# order matters: bool before int (a bool is an int), a StrEnum is sent as its plain text
_WIRE: tuple[tuple[type | UnionType, Callable[[RunspacePool, Any], Any]], ...] = (
    (Secret, _secure),
    (bool | bytes, lambda _pool, v: v),
    (str, lambda _pool, v: str(v)),
    (int, _integer),
    (float, lambda pool, v: pool.serialize(v, ObjectMeta("Db"))),
    (list | tuple, _sequence),
    (Mapping, _mapping),
)


def drive(ps: PowerShell, deadline: Deadline | None, operation_timeout: float) -> None:
    """Poll the started pipeline until it finishes; DeadlineReachedError when time is up (the
    pipeline is still running then: the caller stops it)."""
    while ps.state == PSInvocationState.RUNNING:
        left = None if deadline is None else deadline.left()
        if left is None or left >= operation_timeout:
            ps.poll_invoke()  # the host long-polls operation_timeout; read_timeout covers it
        elif left > 0:
            # a shorter long-poll: pypsrp sends PT<n>S and waits n + 2 s at most
            ps.poll_invoke(timeout=max(1, math.ceil(left)))
        else:
            raise DeadlineReachedError


def stop(ps: PowerShell) -> None:
    """Send ctrl_c to a running pipeline (a WS-Man Signal powershell/signal/ctrl_c)."""
    if ps.state == PSInvocationState.RUNNING:
        ps.stop()


def finished(ps: PowerShell) -> bool:
    """Whether the pipeline reached a final state (it can then be released)."""
    return ps.state in _FINISHED


def release(ps: PowerShell) -> None:
    """Forget a finished pipeline on our side, sending nothing.

    No Signal Terminate (what pypsrp's `ps.close()` sends) after a pipeline whose Receive
    brought its final PIPELINE_STATE: [MS-PSRP] 3.1.1.3.2 has the client drop a Completed,
    Failed or Stopped pipeline from its pool's table and send no more messages targeted to it,
    and Windows answers that Receive with CommandState Done (the recorded real-Windows
    conversations in jborean93/pypsrp tests/tests_pypsrp/responses run several commands on a
    pool, then Delete it, with no Signal between them). `close()` exists to re-invoke one
    PowerShell object (pypsrp #196); we build a new one per command. Windows does keep the
    WS-Man command until a Terminate or the shell's Delete ([MS-WSMV] 3.1.4.12; pypsrp #148:
    commands fail once a shell holds MaxConcurrentCommandsPerShell of them;
    ansible/ansible#74985 met MaxProcessesPerShell), so the transport renews its pool once
    UNSIGNALLED_PER_POOL pipelines are released: one Delete frees them all, where a Terminate
    each cost one HTTP request per command.
    """
    ps.runspace_pool.pipelines.pop(ps.id, None)
