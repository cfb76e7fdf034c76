"""`orchestrator runs` and `orchestrator show RUN`: what the journal knows, for people or CI.

Mounted by the main CLI with `register(app)` (or `app.command("runs")(runs_command)` and
`app.command("show")(show_command)`). Neither command creates a journal that does not exist.

Exit codes: 0 shown; 2 unknown or ambiguous run id, or a journal that cannot be read
(newer schema, not a database).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from orchestrator.errors import InputError
from orchestrator.journal.errors import JournalError
from orchestrator.journal.journal import Journal, utc_now
from orchestrator.journal.paths import STATE_DIR_ENV, journal_path, state_dir
from orchestrator.journal.render import detail_json, detail_view, runs_json, runs_table
from orchestrator.journal.views import gather_detail, gather_runs

EXIT_OK = 0
EXIT_INPUT = 2


class OutputFormat(StrEnum):
    """How `runs` and `show` print."""

    TEXT = "text"
    JSON = "json"


StateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help=f"Where the journal is (default: ${STATE_DIR_ENV}, else ./.orchestrator).",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", help="What is printed: text for people, json for machines."),
]


def runs_command(
    state_dir_opt: StateDirOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs.", min=1)] = 20,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """List recent runs: id, start, who, playbook, status and windows still open."""
    with _journal(state_dir_opt) as journal:
        views = [] if journal is None else gather_runs(journal, limit, socket.gethostname())
    if output is OutputFormat.JSON:
        _print_json(runs_json(views))
    elif not views:
        typer.echo(f"no run recorded in {journal_path(state_dir(state_dir_opt))}")
    else:
        _console().print(runs_table(views, utc_now()))


def show_command(
    run: Annotated[str, typer.Argument(help="A run id, or its unique prefix.", show_default=False)],
    state_dir_opt: StateDirOpt = None,
    output: FormatOpt = OutputFormat.TEXT,
) -> None:
    """Show a run: its record, steps per host, windows with deadlines, what is still open."""
    with _journal(state_dir_opt) as journal:
        if journal is None:
            _fail(f"no journal at {journal_path(state_dir(state_dir_opt))}: check --state-dir")
        try:
            record = journal.run(run)
        except InputError as exc:
            _fail(exc.render())
        detail = gather_detail(journal, record, socket.gethostname(), utc_now())
    if output is OutputFormat.JSON:
        _print_json(detail_json(detail))
    else:
        _console().print(detail_view(detail, utc_now()))


def register(app: typer.Typer) -> None:
    """Add `runs` and `show` to a typer app."""
    app.command("runs")(runs_command)
    app.command("show")(show_command)


@contextmanager
def _journal(option: Path | None) -> Iterator[Journal | None]:
    """The journal if one exists (None otherwise: reading must not create one)."""
    path = journal_path(state_dir(option))
    if not path.is_file():
        yield None
        return
    try:
        journal = Journal.open(path.parent)
    except JournalError as exc:
        _fail(str(exc))
    try:
        yield journal
    except JournalError as exc:
        _fail(str(exc))
    finally:
        journal.close()


def _fail(message: str) -> NoReturn:
    for line in message.splitlines():
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(EXIT_INPUT)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)
