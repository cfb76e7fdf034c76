"""Parameter declarations: the types the binder converts to, and the common parameters."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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
