"""Durations as people write them: `90s`, `15m`, `2h`, `1h30m`, `1d`, `500ms`, or seconds."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_SECONDS = 365 * 86400  # anything longer is a typo, and timedelta overflows on huge values
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")
DURATION_PATTERN = r"^\s*(?:\d+(?:\.\d+)?|(?:\d+(?:\.\d+)?(?:ms|s|m|h|d)\s*)+)$"


def parse_duration(value: Any) -> timedelta:
    """A timedelta from `90s`, `15m`, `2h`, `1h30m`, `1d`, `500ms` or a number of seconds."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError(f"expected a duration such as 90s, 15m or 2h, found {value!r}")
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(re.sub(r"\s+", "", value))
    else:
        raise ValueError(
            f"expected a duration such as 90s, 15m or 2h, found {type(value).__name__}"
        )
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, found {value!r}")
    if not seconds <= MAX_SECONDS:  # also catches NaN and infinity
        raise ValueError(f"a duration must be at most 365d, found {value!r}")
    return timedelta(seconds=seconds)


def _parse_text(text: str) -> float:
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not _WHOLE.match(text):
        raise ValueError(
            f"expected a duration such as 90s, 15m, 2h or 1h30m, found {text!r}"
            " (units: ms, s, m, h, d)"
        )
    return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))


def format_duration(value: timedelta) -> str:
    """The shortest text `parse_duration` reads back as the same value, e.g. `1h30m`."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    parts = []
    for unit, size_ms in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        count, total_ms = divmod(total_ms, size_ms)
        if count:
            parts.append(f"{count}{unit}")
    if total_ms:
        parts.append(f"{total_ms}ms")
    return "".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN},
                {"type": "number", "minimum": 0},
            ],
            "description": "a duration: 90s, 15m, 2h, 1h30m, 1d, 500ms, or seconds",
        }
    ),
]
