"""One meaning per flag across commands: `--format` is what a command prints, `--report-format`
the format of the --report file it writes, `--log-format` the logs'. `run --format` (which used
to be the report's format) still works for one release, with a warning naming --report-format.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer import _click as click  # typer vendors click: its command API
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from orchestrator.cli import app

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "smsman-reinstall.yml"
INVENTORY = ROOT / "inventory" / "example.yml"
DEPRECATED = "warning: run --format is deprecated and will be removed: use --report-format"
runner = CliRunner()


def _command(*path: str) -> click.Command:
    """The click command at `path` (lazy sub-commands resolved)."""
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup)
        _, found, _ = command.resolve_command(click.Context(command), [name])
        assert found is not None, name
        command = found
    return command


def _option(command: click.Command, flag: str) -> TyperOption | None:
    found = [p for p in command.params if isinstance(p, TyperOption) and flag in p.opts]
    return found[0] if found else None


@pytest.mark.parametrize(
    "path",
    [("validate",), ("plan",), ("diagnose",), ("inventory", "list"), ("runs",), ("show",)],
)
def test_format_is_what_the_command_prints(path: tuple[str, ...]) -> None:
    """Every command's visible `--format` chooses what it prints, and says so."""
    option = _option(_command(*path), "--format")
    assert option is not None
    assert not option.hidden
    assert (option.help or "").startswith("What is printed")


@pytest.mark.parametrize("name", ["run", "plan"])
def test_the_reports_format_is_report_format(name: str) -> None:
    """`run` and `plan` both name the --report file's format `--report-format`."""
    option = _option(_command(name), "--report-format")
    assert option is not None
    assert "--report's format" in (option.help or "")


@pytest.mark.parametrize("name", ["run", "resume", "rollback"])
def test_commands_that_reach_hosts_share_the_log_flags(name: str) -> None:
    """`run`, `resume` and `rollback` all take --log-format, -v and -q."""
    command = _command(name)
    for flag in ("--log-format", "-v", "-q"):
        assert _option(command, flag) is not None, flag


def test_run_format_is_hidden_from_help() -> None:
    """`run --help` shows --report-format and no longer --format."""
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "--report-format" in result.output
    assert "--format" not in result.output


def test_run_format_still_sets_the_report_format_with_a_warning() -> None:
    """`run --format X` is read as --report-format X (so without --report it is refused the
    same way) after a warning naming the new flag."""
    old = runner.invoke(app, ["run", str(PLAYBOOK), "-i", str(INVENTORY), "--format", "markdown"])
    new = runner.invoke(
        app, ["run", str(PLAYBOOK), "-i", str(INVENTORY), "--report-format", "markdown"]
    )
    assert (old.exit_code, new.exit_code) == (2, 2)
    assert DEPRECATED in old.stderr
    assert DEPRECATED not in new.stderr
    assert "a report format goes with --report PATH" in old.stderr
    assert "a report format goes with --report PATH" in new.stderr


def test_run_format_and_report_format_together_are_refused() -> None:
    """Both spellings at once: exit 2 asking for the new one alone."""
    result = runner.invoke(
        app,
        [*("run", str(PLAYBOOK), "-i", str(INVENTORY), "--report", "r.md"),
         *("--format", "markdown", "--report-format", "html")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "give --report-format alone: run --format is its deprecated old name" in result.stderr


def test_a_bad_log_format_is_refused_by_rollback() -> None:
    """`rollback --log-format xml` is an input error before the journal is opened."""
    result = runner.invoke(app, ["rollback", "abc", "--log-format", "xml"])
    assert result.exit_code == 2
    assert "--log-format must be console or json, not 'xml'" in result.stderr
