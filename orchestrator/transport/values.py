"""What PowerShell objects become on our side: plain Python values.

pypsrp deserializes CLIXML into primitives, lists, dicts and GenericComplexObjects; we turn the
latter into `RemoteObject`s (properties, type names, ToString) and enums into their names, as
PowerShell prints them (`Running`, not 4). Duck-typed, so this module needs no pypsrp import.
DateTime values stay the ISO text pypsrp 0.9.1 gives; modules parse them where they need to.
"""

from __future__ import annotations

from typing import Any

from orchestrator.transport.command import RemoteObject


def plain_value(value: Any) -> Any:
    """A deserialized PowerShell value as plain Python data."""
    if hasattr(value, "adapted_properties"):
        return _complex(value)
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {plain_value(k): plain_value(v) for k, v in value.items()}
    return value


def _complex(value: Any) -> Any:
    types = tuple(getattr(value, "types", None) or ())
    text = getattr(value, "to_string", None)
    if "System.Enum" in types:
        return text
    properties = {
        str(k): plain_value(v)
        for bag in (value.adapted_properties, value.extended_properties)
        for k, v in (bag or {}).items()
    }
    return RemoteObject(properties, types, "" if text is None else str(text))
