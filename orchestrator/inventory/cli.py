"""`orchestrator inventory list`: the resolved hosts and where each value came from.

Mounted by the main CLI with `app.add_typer(inventory_app, name="inventory")`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestrator.errors import InputError
from orchestrator.inventory.loader import load_inventory
from orchestrator.inventory.model import Inventory
from orchestrator.inventory.patterns import apply_limit
from orchestrator.inventory.render import inventory_data, inventory_view

INPUT_ERROR_EXIT = 2

app = typer.Typer(no_args_is_help=True, add_completion=False)


class OutputFormat(StrEnum):
    """How `inventory list` prints."""

    TEXT = "text"
    JSON = "json"


@app.callback()
def inventory() -> None:
    """Inspect inventories: hosts, roles, groups and how each host is reached."""


@app.command("list")
def list_hosts(
    inventory_file: Annotated[
        Path, typer.Option("--inventory", "-i", help="the inventory file", show_default=False)
    ],
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", "-l", help="host pattern, e.g. 'cap_server:!dc1', or @file (one a line)"
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines")
    ] = OutputFormat.TEXT,
) -> None:
    """Print the resolved hosts: roles, groups, connection settings and vars, with origins."""
    try:
        resolved = _load(inventory_file, limit)
    except InputError as exc:
        for problem in exc.render().splitlines():
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(INPUT_ERROR_EXIT) from None
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(inventory_data(resolved, limit), indent=2, ensure_ascii=False))
    else:
        Console(highlight=False, soft_wrap=False).print(inventory_view(resolved, limit))


def _load(path: Path, limit: str | None) -> Inventory:
    inventory = load_inventory(path)
    # An empty --limit is an error (apply_limit says so), never "no limit": all hosts.
    return apply_limit(inventory, limit, Path.cwd()) if limit is not None else inventory
