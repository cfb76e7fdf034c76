"""A CREATE_PIPELINE, as psrpcore parsed it, -> contract Statements with plain Python values.

pypsrp's add_statement() arrives as ExtraCmds ([MS-PSRP] 2.2.3.11, undocumented batching that
psrpcore maps to `end_of_statement`); a switch added without a value arrives as <Nil/> (None);
an <SS> is decrypted with the pool's session key into a contract SecureString.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Callable
from typing import Any

from psrpcore import PowerShell
from psrpcore.types import PSObject, PSSecureString, PSVersion

from orchestrator.lab.contract import CommandCall, SecureString, Statement
from orchestrator.lab.contract import PSObject as ContractObject


def statements(pipeline: PowerShell) -> tuple[Statement, ...]:
    """The pipeline's statements, each a tuple of commands piped into each other."""
    done: list[Statement] = []
    current: list[CommandCall] = []
    for command in pipeline.commands:
        parameters = tuple((str(n) if n else None, plain(v)) for n, v in command.parameters)
        current.append(
            CommandCall(str(command.command_text), parameters, is_script=bool(command.is_script))
        )
        if command.end_of_statement:
            done.append(Statement(tuple(current)))
            current = []
    if current:
        done.append(Statement(tuple(current)))
    return tuple(done)


def plain(value: Any) -> Any:
    """A deserialized CLIXML value as plain Python (str, int, bool, list, dict, ...)."""
    if value is None or type(value) in (str, int, bool, float):
        return value
    for kind, convert in _CONVERTERS:
        if isinstance(value, kind):
            return convert(value)
    return value


def _datetime(value: datetime.datetime) -> datetime.datetime:
    return datetime.datetime(*value.timetuple()[:6], value.microsecond, value.tzinfo)


def _duration(value: datetime.timedelta) -> datetime.timedelta:
    return datetime.timedelta(value.days, value.seconds, value.microseconds)


def _complex(value: PSObject) -> ContractObject:
    meta = value.PSObject
    props = {p.name: plain(p.get_value(value)) for p in meta.adapted_properties}
    props.update({p.name: plain(p.get_value(value)) for p in meta.extended_properties})
    return ContractObject(tuple(meta.type_names), props, str(meta.to_string or ""))


_CONVERTERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    (PSSecureString, lambda v: SecureString(str(v.decrypt()))),
    (bool, bool),
    (enum.Enum, lambda v: int(v.value) if isinstance(v.value, int) else str(v.value)),
    (str, str),
    (int, int),
    (float, float),
    (bytes, bytes),
    (datetime.datetime, _datetime),
    (datetime.timedelta, _duration),
    ((uuid.UUID, PSVersion), str),
    (list, lambda v: [plain(item) for item in v]),
    (dict, lambda v: {plain(k): plain(item) for k, item in v.items()}),
    (PSObject, _complex),
)
