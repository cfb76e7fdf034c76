"""Get-Date on the host's own clock (skew included)."""

from __future__ import annotations

import re
from datetime import datetime

from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Invocation

NS = "Microsoft.PowerShell.Commands."
_TOKENS = re.compile(r"yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|fff|ff|f|tt|'[^']*'|\\.|.")


def _token(token: str, when: datetime) -> str:
    hour12 = when.hour % 12 or 12
    table = {
        "yyyy": f"{when.year:04d}",
        "yy": f"{when.year % 100:02d}",
        "MM": f"{when.month:02d}",
        "M": str(when.month),
        "dd": f"{when.day:02d}",
        "d": str(when.day),
        "HH": f"{when.hour:02d}",
        "H": str(when.hour),
        "hh": f"{hour12:02d}",
        "h": str(hour12),
        "mm": f"{when.minute:02d}",
        "m": str(when.minute),
        "ss": f"{when.second:02d}",
        "s": str(when.second),
        "fff": f"{when.microsecond // 1000:03d}",
        "ff": f"{when.microsecond // 10000:02d}",
        "f": str(when.microsecond // 100000),
        "tt": "AM" if when.hour < 12 else "PM",
    }
    if token in table:
        return table[token]
    if token.startswith("'"):
        return token[1:-1]
    return token[1:] if token.startswith("\\") else token


def dotnet_format(when: datetime, pattern: str) -> str:
    """A .NET custom date format (en-US: '/' and ':' are literal separators)."""
    return "".join(_token(t, when) for t in _TOKENS.findall(pattern))


def get_date(inv: Invocation) -> None:
    """Get-Date [-Date] [-Format]: the host's clock, or a formatted string."""
    when: datetime = inv.args.get("Date") or inv.session.now
    fmt = inv.args.text("Format")
    inv.write(dotnet_format(when, fmt) if fmt else when)


SPECS = (
    CmdletSpec(
        "Get-Date",
        NS + "GetDateCommand",
        get_date,
        (Param("Date", Kind.DATETIME, position=0), Param("Format")),
    ),
)
