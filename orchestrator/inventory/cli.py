"""`orchestrator inventory list`: the resolved hosts, one a line; `--host NAME`: one host in
full, with where each value came from.

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
from orchestrator.inventory.model import Host, Inventory
from orchestrator.inventory.patterns import apply_limit
from orchestrator.inventory.render import (
    host_data,
    host_lines,
    host_table,
    inventory_data,
    inventory_summary,
)
from orchestrator.validation import suggest

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
        OutputFormat,
        typer.Option("--format", help="What is printed: text for people, json for machines."),
    ] = OutputFormat.TEXT,
    host_name: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="NAME",
            help="One host in full: every setting and variable, and where each came from.",
        ),
    ] = None,
) -> None:
    """Print the resolved hosts, one a line: roles, groups, how each is reached (--host: one in
    full, with where each value came from)."""
    try:
        resolved = _load(inventory_file, limit)
        host = None if host_name is None else _host(resolved, host_name, limit)
    except InputError as exc:
        for problem in exc.render().splitlines():
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(INPUT_ERROR_EXIT) from None
    if host is not None:
        _print_host(resolved, host, output)
    elif output is OutputFormat.JSON:
        typer.echo(json.dumps(inventory_data(resolved, limit), indent=2, ensure_ascii=False))
    else:
        for line in host_lines(resolved):
            typer.echo(line)
        typer.echo(inventory_summary(resolved, limit))


def _load(path: Path, limit: str | None) -> Inventory:
    inventory = load_inventory(path)
    # An empty --limit is an error (apply_limit says so), never "no limit": all hosts.
    return apply_limit(inventory, limit, Path.cwd()) if limit is not None else inventory


def _host(inventory: Inventory, name: str, limit: str | None) -> Host:
    found = inventory.host(name)
    if found is not None:
        return found
    problem = f"{name!r} is no host of {inventory.path}"
    if limit is not None:
        problem = f"{name!r} is not among the hosts --limit selects"
    raise InputError.single(
        problem,
        field="--host",
        hint=suggest(name, [h.name for h in inventory.hosts]),
    )


def _print_host(inventory: Inventory, host: Host, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(host_data(inventory, host), indent=2, ensure_ascii=False))
    else:
        Console(highlight=False, soft_wrap=False).print(host_table(inventory, host))
