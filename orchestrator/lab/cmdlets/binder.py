"""PowerShell's parameter binder, for the parameters the lab's cmdlets declare.

Names are case-insensitive, match exactly (name or alias) or by unique prefix; positional
arguments fill the declared positions in order; a switch sent without a value (None) is
present; mandatory parameters missing in a non-interactive session fail; values are converted
to the declared type, and SecureString parameters accept only a SecureString.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.lab.cmdlets.conversions import CONVERT, NULL_OR_EMPTY, ConversionError, shown
from orchestrator.lab.cmdlets.errors import CmdletError, Identity, binding
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.contract import CommandCall


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
            raise self._error(NULL_OR_EMPTY.format(param.name), "ParameterArgumentValidationError")
        if value is None and param.kind is not Kind.SWITCH:
            raise self._error(
                f"Missing an argument for parameter '{param.name}'. Specify a parameter of type "
                f"'{param.enum_type or param.kind.value}' and try again.",
                "MissingArgument",
            )
        try:
            converted = CONVERT[param.kind](param, value)
        except ConversionError as exc:
            raise self._error(str(exc), exc.error_id) from None
        self._validate(param, converted)
        return converted

    def _validate(self, param: Param, value: Any) -> None:
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if param.not_empty and isinstance(item, str) and item == "":
                raise self._error(
                    NULL_OR_EMPTY.format(param.name), "ParameterArgumentValidationError"
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
                    f"'{shown(value)}'.",
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
