"""Variable types: `-e` values take the type of the variable they override, or are refused.

`-e key=value` gives text. A playbook that compares `aware_ratio >= min_checked_in_ratio`
needs a number there: `-e min_checked_in_ratio=0.95` becomes the float 0.95, and
`-e min_checked_in_ratio=abc` is refused before any host is contacted instead of failing
with a TypeError hours into a run. A variable's type is the one `var_types:` declares, else
its default's (the playbook's or the inventory's value it overrides); a value that is a
template, or null, says nothing about its type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.durations import parse_duration
from orchestrator.errors import InputError, Problem
from orchestrator.playbook.variables import Var
from orchestrator.yamlsource import load_text

_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_TRUE, _FALSE = {"true", "yes", "on"}, {"false", "no", "off"}
_WHAT = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a list, e.g. [a, b]",
    "dict": "a mapping, e.g. {a: 1}",
    "duration": "a duration such as 90s, 15m or 2h",
}


_PYTHON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "bool"),  # before int: a bool is an int to Python
    (int, "int"),
    (float, "float"),
    ((list, tuple), "list"),
    (dict, "dict"),
)


def type_of(value: Any) -> str | None:
    """The type a default gives its variable, or None when it says nothing (null, template)."""
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            return None
        return "duration" if _DURATION.match(value) else "str"
    return next((kind for types, kind in _PYTHON_TYPES if isinstance(value, types)), None)


def conform(value: Any, kind: str, *, from_text: bool) -> Any:
    """`value` as a `kind`: command-line text is converted, other values checked.

    ValueError saying what was expected when it is not one."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return value  # a template: its type is known once rendered
    converted = _from_text(value, kind) if from_text and isinstance(value, str) else value
    if not _is(converted, kind):
        raise ValueError(f"expected {_WHAT[kind]}, found {value!r}")
    return converted


def typed_overrides(
    extra: Mapping[str, Var], lower: Mapping[str, Var], declared: Mapping[str, str]
) -> dict[str, Var]:
    """The -e variables, each conformed to its variable's type; InputError naming each one
    that is not of it, and the default that gives the type."""
    typed: dict[str, Var] = {}
    problems: list[Problem] = []
    for name, var in extra.items():
        kind, because = _expected(name, lower.get(name), declared)
        if kind is None:
            typed[name] = var
            continue
        try:
            value = conform(var.value, kind, from_text=var.scope == "-e")
        except ValueError as exc:
            problems.append(Problem(var.location, f"-e {name}", f"{exc} ({because})"))
            continue
        typed[name] = Var(value, var.location, var.scope)
    if problems:
        raise InputError(problems)
    return typed


def check_declared(values: Mapping[str, Var], declared: Mapping[str, str]) -> list[Problem]:
    """Every variable whose value is not of its declared type."""
    problems = []
    for name, kind in declared.items():
        var = values.get(name)
        if var is None or var.scope.startswith("-e"):
            continue  # -e values are conformed by typed_overrides
        try:
            conform(var.value, kind, from_text=False)
        except ValueError as exc:
            problems.append(
                Problem(var.location, f"vars.{name} ({var.scope})", f"{exc} (var_types: {kind})")
            )
    return problems


def _expected(name: str, lower: Var | None, declared: Mapping[str, str]) -> tuple[str | None, str]:
    if name in declared:
        return declared[name], f"var_types declares {name}: {declared[name]}"
    if lower is None:
        return None, ""
    kind = type_of(lower.value)
    where = f" at {lower.location}" if lower.location else ""
    return kind, f"its default {lower.value!r}{where} is {_WHAT[kind] if kind else ''}"


def _number(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _boolean(text: str) -> Any:
    lowered = text.lower()
    return lowered in _TRUE if lowered in _TRUE | _FALSE else text


def _yaml(text: str) -> Any:
    try:
        return load_text(text, "command line -e").data
    except InputError:
        return text


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": lambda text: int(text) if _INTEGER.match(text) else text,
    "float": _number,
    "bool": _boolean,
    "list": _yaml,
    "dict": _yaml,
}


def _from_text(text: str, kind: str) -> Any:
    convert = _CONVERTERS.get(kind)
    return convert(text.strip()) if convert is not None else text


def _is_duration(value: Any) -> bool:
    try:
        parse_duration(value)
    except ValueError:
        return False
    return True


def _not_bool(types: type | tuple[type, ...]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, types) and not isinstance(value, bool)


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "str": _not_bool((str, int, float)),  # a number is fine where text is expected
    "int": _not_bool(int),
    "float": _not_bool((int, float)),
    "bool": lambda value: isinstance(value, bool),
    "list": lambda value: isinstance(value, list | tuple),
    "dict": lambda value: isinstance(value, dict),
    "duration": _is_duration,
}


def _is(value: Any, kind: str) -> bool:
    return _CHECKS[kind](value)
