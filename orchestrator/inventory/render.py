"""Show a resolved inventory: JSON-ready data for machines; for people, one line per host, and
one host's settings as a table.

Every value of the JSON and of a host's table is shown with where it came from. Credential
passwords are shown only as their reference (`env:ORCH_ADMIN_PASSWORD`): the inventory never
holds a password's value.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from orchestrator.durations import format_duration
from orchestrator.inventory.model import (
    CONNECTION_FIELDS,
    Credential,
    Host,
    Inventory,
    Origin,
    PasswordSource,
    Role,
)
from orchestrator.secrets import EnvSource, FileSource, PromptSource

_ROLE_ORDER = {role: index for index, role in enumerate(Role)}


def password_reference(source: PasswordSource) -> str:
    """The password's source as written (`env:NAME`, `file:PATH`, `prompt`), never a value."""
    if isinstance(source, EnvSource):
        return f"env:{source.env}"
    if isinstance(source, FileSource):
        return f"file:{source.file}"
    if isinstance(source, PromptSource):
        return "prompt"
    return "generate"


def plain(value: Any) -> Any:
    """A resolved value as JSON-ready data (durations as `30s`, enums by value)."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def origin_data(origin: Origin) -> dict[str, Any]:
    """An origin as JSON: scope, and file/line/column (null for defaults)."""
    loc = origin.location
    return {
        "scope": origin.scope,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
    }


def _sorted_roles(host: Host) -> list[Role]:
    return sorted(host.roles, key=_ROLE_ORDER.__getitem__)


def _entry(value: Any, origin: Origin) -> dict[str, Any]:
    return {"value": plain(value), "origin": origin_data(origin)}


def credential_data(credential: Credential | None) -> dict[str, Any] | None:
    """A credential as JSON: name, user name and the password's reference."""
    if credential is None:
        return None
    return {
        "name": credential.name,
        "username": credential.username,
        "password": password_reference(credential.password),
    }


def host_data(inventory: Inventory, host: Host) -> dict[str, Any]:
    """One host as JSON, every value with its origin."""
    conn = host.connection
    return {
        "name": host.name,
        "address": _entry(host.address, host.origin("address")),
        "roles": [_entry(r.value, host.origin(f"roles.{r.value}")) for r in _sorted_roles(host)],
        "groups": list(host.groups),
        "connection": {f: _entry(getattr(conn, f), host.origin(f)) for f in CONNECTION_FIELDS},
        "credential": credential_data(inventory.credential_for(host)),
        "vars": {k: _entry(v, host.origin(f"vars.{k}")) for k, v in host.vars.items()},
    }


def inventory_data(inventory: Inventory, limit: str | None = None) -> dict[str, Any]:
    """The whole resolved inventory as JSON-ready data."""
    return {
        "inventory": str(inventory.path),
        "limit": limit,
        "hosts": [host_data(inventory, h) for h in inventory.hosts],
        "groups": {
            g.name: {"hosts": list(g.hosts), "children": list(g.children)}
            for g in inventory.groups.values()
        },
    }


# --- for people --------------------------------------------------------------------------------


def origin_text(origin: Origin) -> str:
    """`example.yml:42 (group caps)`, or the default's scope (the summary names the path)."""
    if origin.location is None or origin.location.line <= 0:
        return origin.scope
    return f"{Path(origin.location.file).name}:{origin.location.line} ({origin.scope})"


def _show(value: Any) -> str:
    shown = plain(value)
    if isinstance(shown, bool):
        return str(shown).lower()
    return "-" if shown is None else str(shown)


def _rows(inventory: Inventory, host: Host) -> Iterator[tuple[str, str, str]]:
    yield "address", host.address, origin_text(host.origin("address"))
    for role in _sorted_roles(host):
        yield "role", role.value, origin_text(host.origin(f"roles.{role.value}"))
    yield "groups", ", ".join(host.groups) or "-", ""
    for name in CONNECTION_FIELDS:
        yield name, _show(getattr(host.connection, name)), origin_text(host.origin(name))
    credential = inventory.credential_for(host)
    if credential is not None:
        ref = password_reference(credential.password)
        scope = f"credential {credential.name}"
        yield "  username", credential.username, scope
        yield "  password", ref, f"{scope}, read at run start"
    for key, value in host.vars.items():
        yield f"vars.{key}", _show(value), origin_text(host.origin(f"vars.{key}"))


def host_table(inventory: Inventory, host: Host) -> Table:
    """One host as a table of setting, value and where it came from."""
    title = Text(host.name, style="bold")
    title.append(f"  {host.address}", style="")
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold", min_width=12)
    table.add_column("from", overflow="fold", min_width=12)
    for row in _rows(inventory, host):
        # Text, not str: a value such as "[bold]" must be shown, not read as markup.
        table.add_row(*(Text(cell) for cell in row))
    return table


def reach_text(inventory: Inventory, host: Host) -> str:
    """How a host is reached, in short: `https://dc1.example.com:5986 negotiate as TB1\\admin`."""
    conn = host.connection
    address = f"[{host.address}]" if ":" in host.address else host.address  # IPv6, as in URLs
    text = f"{conn.scheme.value}://{address}:{conn.port}{_path(conn.path)} {conn.auth.value}"
    credential = inventory.credential_for(host)
    if credential is not None:
        text += f" as {credential.username}"
    if conn.cert_validation is False:
        text += " (certificate not validated)"
    return text


def _path(path: str) -> str:
    return "" if path == "/wsman" else path


def host_lines(inventory: Inventory) -> list[str]:
    """A header and one line per host: name, roles, groups, how it is reached; aligned, and
    one host a line whatever the width (for `grep`)."""
    rows = [("host", "roles", "groups", "connection")]
    rows += [
        (
            h.name,
            ", ".join(r.value for r in _sorted_roles(h)) or "-",
            ", ".join(h.groups) or "-",
            reach_text(inventory, h),
        )
        for h in inventory.hosts
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3]]) for row in rows]


def inventory_summary(inventory: Inventory, limit: str | None = None) -> str:
    """`8 hosts in FILE (limit: ...)`, and how to see one host in full."""
    count = len(inventory.hosts)
    summary = f"{count} host{'s' if count != 1 else ''} in {inventory.path}"
    if limit:
        summary += f" (limit: {limit})"
    return summary + "; --host NAME shows one in full"
