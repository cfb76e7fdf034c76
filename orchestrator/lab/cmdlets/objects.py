"""Helpers shared by the cmdlet families: output objects, wildcards, identities from input."""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.lab.contract import PSObject


class PrincipalSource(enum.Enum):
    """Microsoft.PowerShell.Commands.PrincipalSource."""

    __ps_type_name__ = "Microsoft.PowerShell.Commands.PrincipalSource"

    Unknown = 0
    Local = 1
    ActiveDirectory = 2
    AzureAD = 3
    MicrosoftAccount = 4


def ps(type_names: Sequence[str], props: Mapping[str, Any], text: str = "") -> PSObject:
    """An output object."""
    return PSObject(tuple(type_names), dict(props), text)


def has_wildcard(pattern: str) -> bool:
    """True when the text holds a PowerShell wildcard character."""
    return any(c in pattern for c in "*?[")


def like(pattern: str, text: str) -> bool:
    """PowerShell -like: case-insensitive wildcard match."""
    return fnmatch.fnmatchcase(text.lower(), pattern.lower())


def prop(value: Any, *names: str) -> str | None:
    """The first present property of a piped object (e.g. SID, then Name)."""
    if not isinstance(value, PSObject):
        return None
    for name in names:
        found = value.properties.get(name)
        if found is not None:
            return str(found)
    return None


def identity_text(value: Any, *names: str) -> str:
    """An -Identity / -Member value as text: a string, or a piped object's key property."""
    return prop(value, *names) or (value.to_string if isinstance(value, PSObject) else str(value))
