"""Argument conversion as PowerShell's binder does it, with its exact messages.

A value bound to a SecureString parameter is never quoted back: PowerShell would quote it, but
there it is a password.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.contract import PSObject, SecureString

NULL_OR_EMPTY = (
    "Cannot validate argument on parameter '{}'. The argument is null or empty. Provide an "
    "argument that is not null or empty, and then try the command again."
)


def type_name(value: Any) -> str:
    """The .NET type PowerShell would name in a conversion message."""
    if isinstance(value, PSObject):
        return value.type_names[0] if value.type_names else "System.Management.Automation.PSObject"
    table: list[tuple[type, str]] = [
        (bool, "System.Boolean"),
        (int, "System.Int32"),
        (str, "System.String"),
        (SecureString, "System.Security.SecureString"),
        (datetime, "System.DateTime"),
        (timedelta, "System.TimeSpan"),
        (list, "System.Object[]"),
        (tuple, "System.Object[]"),
        (float, "System.Double"),
    ]
    return next((name for t, name in table if isinstance(value, t)), "System.Object")


def shown(value: Any) -> str:
    """A value as PowerShell quotes it in a message (a SecureString only by its type)."""
    if isinstance(value, SecureString):
        return "System.Security.SecureString"  # never the clear text
    if isinstance(value, PSObject):
        return value.to_string
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


class ConversionError(Exception):
    """A value that cannot be converted; carries the ErrorId to report."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


def _cannot_convert(param: Param, value: Any, target: str) -> ConversionError:
    # PowerShell quotes the value; for a SecureString parameter that value is a password
    quoted = "****" if param.kind is Kind.SECURE else shown(value)
    return ConversionError(
        "CannotConvertArgumentNoMessage",
        f"Cannot bind parameter '{param.name}'. Cannot convert the \"{quoted}\" value of "
        f'type "{type_name(value)}" to type "{target}".',
    )


def _to_string(param: Param, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        raise ConversionError(
            "CannotConvertArgument",
            f"Cannot convert '{type_name(value)}' to the type 'System.String' required by "
            f"parameter '{param.name}'. Specified method is not supported.",
        )
    if isinstance(value, SecureString):
        raise _cannot_convert(param, value, "System.String")
    return shown(value)


def _to_strings(param: Param, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return tuple(_to_string(param, item) for item in items)


def _to_int(param: Param, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise _cannot_convert(param, value, "System.Int32")


def _to_bool(param: Param, value: Any) -> bool:
    if isinstance(value, (bool, int)):
        return bool(value)
    raise ConversionError(
        "ParameterArgumentTransformationError",
        f"Cannot process argument transformation on parameter '{param.name}'. Cannot convert "
        f'value "{type_name(value)}" to type "System.Boolean". Boolean parameters accept only '
        "Boolean values and numbers, such as $True, $False, 1 or 0.",
    )


def _to_switch(param: Param, value: Any) -> bool:
    return True if value is None else _to_bool(param, value)


def _to_secure(param: Param, value: Any) -> SecureString:
    if isinstance(value, SecureString):
        return value
    raise _cannot_convert(param, value, "System.Security.SecureString")


_TIMESPAN = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d+):(?P<m>\d+)(?::(?P<s>\d+(?:\.\d+)?))?$")


def _to_timespan(param: Param, value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(microseconds=value / 10)  # an integer is ticks (100 ns)
    match = _TIMESPAN.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _cannot_convert(param, value, "System.TimeSpan")
    d, h, m, s = (match.group(k) or "0" for k in ("d", "h", "m", "s"))
    return timedelta(days=int(d), hours=int(h), minutes=int(m), seconds=float(s))


def _to_datetime(param: Param, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise _cannot_convert(param, value, "System.DateTime") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _to_enum(param: Param, value: Any) -> str:
    text = shown(value).strip()
    found = next((c for c in param.choices if c.lower() == text.lower()), None)
    if found is None:
        raise ConversionError(
            "CannotConvertArgumentNoMessage",
            f"Cannot bind parameter '{param.name}'. Cannot convert value \"{text}\" to type "
            f'"{param.enum_type}". Error: "Unable to match the identifier name {text} to a valid '
            "enumerator name. Specify one of the following enumerator names and try again:\n"
            f'{", ".join(param.choices)}"',
        )
    return found


def _to_objects(_param: Param, value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _identity(_param: Param, value: Any) -> Any:
    return value


CONVERT: dict[Kind, Callable[[Param, Any], Any]] = {
    Kind.STRING: _to_string,
    Kind.STRINGS: _to_strings,
    Kind.INT: _to_int,
    Kind.BOOL: _to_bool,
    Kind.SWITCH: _to_switch,
    Kind.SECURE: _to_secure,
    Kind.TIMESPAN: _to_timespan,
    Kind.DATETIME: _to_datetime,
    Kind.OBJECT: _identity,
    Kind.OBJECTS: _to_objects,
    Kind.ENUM: _to_enum,
}
