"""PowerShell's parameter binder, for the parameters the lab's cmdlets declare.

Names are case-insensitive, match exactly (name or alias) or by unique prefix; positional
arguments fill the declared positions in order; a switch sent without a value (None) is
present; mandatory parameters missing in a non-interactive session fail; values are converted
to the declared type, and SecureString parameters accept only a SecureString.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.lab.cmdlets.errors import CmdletError, Identity, binding
from orchestrator.lab.contract import CommandCall, PSObject, SecureString


class Kind(enum.Enum):
    """The declared type of a parameter, with its .NET name for messages."""

    STRING = "System.String"
    STRINGS = "System.String[]"
    INT = "System.Int32"
    BOOL = "System.Boolean"
    SWITCH = "System.Management.Automation.SwitchParameter"
    SECURE = "System.Security.SecureString"
    TIMESPAN = "System.TimeSpan"
    DATETIME = "System.DateTime"
    OBJECT = "System.Object"
    OBJECTS = "System.Object[]"
    ENUM = "enum"


@dataclass(frozen=True)
class Param:
    """One declared parameter."""

    name: str
    kind: Kind = Kind.STRING
    mandatory: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    pipeline: bool = False
    choices: tuple[str, ...] = ()  # ENUM names
    enum_type: str = ""  # ENUM .NET type, for messages
    max_length: int | None = None
    not_empty: bool = False  # [ValidateNotNullOrEmpty]

    def names(self) -> tuple[str, ...]:
        """Name and aliases."""
        return (self.name, *self.aliases)


ACTION_PREFERENCE = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend")
COMMON = (
    Param("Verbose", Kind.SWITCH, aliases=("vb",)),
    Param("Debug", Kind.SWITCH, aliases=("db",)),
    Param(
        "ErrorAction",
        Kind.ENUM,
        aliases=("ea",),
        choices=ACTION_PREFERENCE,
        enum_type="System.Management.Automation.ActionPreference",
    ),
    Param(
        "WarningAction",
        Kind.ENUM,
        aliases=("wa",),
        choices=ACTION_PREFERENCE,
        enum_type="System.Management.Automation.ActionPreference",
    ),
    Param(
        "InformationAction",
        Kind.ENUM,
        aliases=("infa",),
        choices=ACTION_PREFERENCE,
        enum_type="System.Management.Automation.ActionPreference",
    ),
    Param("ErrorVariable", aliases=("ev",)),
    Param("WarningVariable", aliases=("wv",)),
    Param("InformationVariable", aliases=("iv",)),
    Param("OutVariable", aliases=("ov",)),
    Param("OutBuffer", Kind.INT, aliases=("ob",)),
    Param("PipelineVariable", aliases=("pv",)),
)
SHOULD_PROCESS = (
    Param("WhatIf", Kind.SWITCH, aliases=("wi",)),
    Param("Confirm", Kind.SWITCH, aliases=("cf",)),
)


@dataclass(frozen=True)
class Bound:
    """Bound parameter values by canonical name."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """True when the parameter was given (a switch given as $false counts as given)."""
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        """The converted value, or `default`."""
        return self.values.get(name, default)

    def flag(self, name: str) -> bool:
        """A switch or bool: given and true."""
        return bool(self.values.get(name, False))

    def text(self, name: str, default: str = "") -> str:
        """A string parameter."""
        value = self.values.get(name, default)
        return value if isinstance(value, str) else default

    def texts(self, name: str) -> tuple[str, ...]:
        """A string-array parameter (empty when absent)."""
        value = self.values.get(name, ())
        return tuple(value)

    def with_value(self, name: str, value: Any) -> Bound:
        """A copy with one more value (pipeline input)."""
        return Bound({**self.values, name: value})


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


def _shown(value: Any) -> str:
    if isinstance(value, SecureString):
        return "System.Security.SecureString"  # never the clear text
    if isinstance(value, PSObject):
        return value.to_string
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


_NULL_OR_EMPTY = (
    "Cannot validate argument on parameter '{}'. The argument is null or empty. Provide an "
    "argument that is not null or empty, and then try the command again."
)


class _Conversion(Exception):  # noqa: N818 -- internal signal, never escapes the binder
    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


def _cannot_convert(param: Param, value: Any, target: str) -> _Conversion:
    # PowerShell quotes the value; for a SecureString parameter that value is a password
    shown = "****" if param.kind is Kind.SECURE else _shown(value)
    return _Conversion(
        "CannotConvertArgumentNoMessage",
        f"Cannot bind parameter '{param.name}'. Cannot convert the \"{shown}\" value of "
        f'type "{type_name(value)}" to type "{target}".',
    )


def _to_string(param: Param, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        raise _Conversion(
            "CannotConvertArgument",
            f"Cannot convert '{type_name(value)}' to the type 'System.String' required by "
            f"parameter '{param.name}'. Specified method is not supported.",
        )
    if isinstance(value, SecureString):
        raise _cannot_convert(param, value, "System.String")
    return _shown(value)


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
    raise _Conversion(
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
    text = _shown(value).strip()
    found = next((c for c in param.choices if c.lower() == text.lower()), None)
    if found is None:
        raise _Conversion(
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


_CONVERT: dict[Kind, Callable[[Param, Any], Any]] = {
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


class Binder:
    """Binds one cmdlet's CommandCall parameters to its declared Params."""

    def __init__(self, who: Identity, params: tuple[Param, ...]) -> None:
        self.who = who
        self.params = params

    def bind(self, call: CommandCall, *, piped: bool) -> Bound:
        """Named, then positional, then mandatory checks (pipeline params excused if piped)."""
        values: dict[str, Any] = {}
        positional: list[Any] = []
        for name, value in call.parameters:
            if name is None:
                positional.append(value)
                continue
            param = self._match(name.lstrip("-"))
            if param.name in values:
                raise self._error(
                    f"Cannot bind parameter because parameter '{param.name}' is specified more "
                    "than once. To provide multiple values to parameters that can accept "
                    'multiple values, use the array syntax. For example, "-parameter '
                    'value1,value2,value3".',
                    "ParameterAlreadyBound",
                )
            values[param.name] = self.convert(param, value)
        self._bind_positional(values, positional)
        self._check_mandatory(values, piped=piped)
        return Bound(values)

    def convert(self, param: Param, value: Any) -> Any:
        """Convert and validate one value for `param`."""
        if value is None and param.not_empty:
            raise self._error(_NULL_OR_EMPTY.format(param.name), "ParameterArgumentValidationError")
        if value is None and param.kind is not Kind.SWITCH:
            raise self._error(
                f"Missing an argument for parameter '{param.name}'. Specify a parameter of type "
                f"'{param.enum_type or param.kind.value}' and try again.",
                "MissingArgument",
            )
        try:
            converted = _CONVERT[param.kind](param, value)
        except _Conversion as exc:
            raise self._error(str(exc), exc.error_id) from None
        self._validate(param, converted)
        return converted

    def _validate(self, param: Param, value: Any) -> None:
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if param.not_empty and isinstance(item, str) and item == "":
                raise self._error(
                    _NULL_OR_EMPTY.format(param.name), "ParameterArgumentValidationError"
                )
            if param.mandatory and isinstance(item, str) and item == "":
                raise self._error(
                    f"Cannot bind argument to parameter '{param.name}' because it is an empty "
                    "string.",
                    "ParameterArgumentValidationErrorEmptyStringNotAllowed",
                )
            too_long = param.max_length is not None and isinstance(item, str)
            if too_long and len(item) > (param.max_length or 0):
                raise self._error(
                    f"Cannot validate argument on parameter '{param.name}'. The character "
                    f"length of the {len(item)} argument is too long. Shorten the character "
                    "length of the argument so it is fewer than or equal to "
                    f'"{param.max_length}" characters, and then try the command again.',
                    "ParameterArgumentValidationError",
                )

    def _match(self, given: str) -> Param:
        lowered = given.lower()
        exact = [p for p in self.params if lowered in (n.lower() for n in p.names())]
        if exact:
            return exact[0]
        candidates = [
            p for p in self.params if any(n.lower().startswith(lowered) for n in p.names())
        ]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise self._error(
                f"A parameter cannot be found that matches parameter name '{given}'.",
                "NamedParameterNotFound",
            )
        names = " ".join("-" + p.name for p in candidates)
        raise self._error(
            f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. "
            f"Possible matches include: {names}.",
            "AmbiguousParameter",
        )

    def _bind_positional(self, values: dict[str, Any], positional: list[Any]) -> None:
        slots = sorted(
            (p for p in self.params if p.position is not None and p.name not in values),
            key=lambda p: p.position or 0,
        )
        for value in positional:
            if not slots:
                raise self._error(
                    f"A positional parameter cannot be found that accepts argument "
                    f"'{_shown(value)}'.",
                    "PositionalParameterNotFound",
                )
            param = slots.pop(0)
            values[param.name] = self.convert(param, value)

    def _check_mandatory(self, values: dict[str, Any], *, piped: bool) -> None:
        missing = [
            p.name
            for p in self.params
            if p.mandatory and p.name not in values and not (piped and p.pipeline)
        ]
        if missing:
            raise self._error(
                "Cannot process command because of one or more missing mandatory parameters: "
                f"{' '.join(missing)}.",
                "MissingMandatoryParameter",
            )

    def _error(self, message: str, error_id: str) -> CmdletError:
        return CmdletError(binding(self.who, message, error_id))
