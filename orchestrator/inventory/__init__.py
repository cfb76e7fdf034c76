"""The inventory: which hosts there are, their roles, and how to reach them over WinRM.

`load_inventory` reads and resolves a file once (every problem of the file in one
InputError); `patterns` selects hosts for `--limit` and a step's `hosts:`.
"""

from orchestrator.inventory.loader import build_inventory, load_inventory, parse_inventory
from orchestrator.inventory.model import (
    DEFAULT_PORTS,
    Auth,
    Connection,
    Credential,
    Encryption,
    Group,
    Host,
    Inventory,
    Origin,
    Role,
    Scheme,
)
from orchestrator.inventory.patterns import (
    HostPattern,
    PatternSyntaxError,
    UnknownName,
    apply_limit,
    parse_pattern,
    select,
    unknown_names,
)

__all__ = [
    "DEFAULT_PORTS",
    "Auth",
    "Connection",
    "Credential",
    "Encryption",
    "Group",
    "Host",
    "HostPattern",
    "Inventory",
    "Origin",
    "PatternSyntaxError",
    "Role",
    "Scheme",
    "UnknownName",
    "apply_limit",
    "build_inventory",
    "load_inventory",
    "parse_inventory",
    "parse_pattern",
    "select",
    "unknown_names",
]
