"""`orchestrator --help` imports only the CLI: the transport, the lab and the journal wait."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from orchestrator.cli import _LAZY, app
from orchestrator.lazy_commands import LazyCommand

# What `--help` must not load: the WinRM client and server stacks, and the packages whose
# imports (pydantic models, structlog, SQLite) made every invocation slow.
HEAVY = (
    "pypsrp",
    "psrpcore",
    "spnego",
    "requests",
    "orchestrator.lab.harness",
    "orchestrator.lab.server",
    "orchestrator.transport.psrp",
    "orchestrator.inventory",
    "orchestrator.journal",
    "orchestrator.engine",
)

_PROBE = """
import json, runpy, sys
sys.argv = ["orchestrator", *json.loads(sys.argv[1])]
try:
    runpy.run_module("orchestrator", run_name="__main__")
except SystemExit:
    pass
sys.stderr.write(json.dumps(sorted(sys.modules)))
"""


def _modules_after(*args: str) -> set[str]:
    """The modules loaded by `python -m orchestrator ARGS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stderr))


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("args", [("--help",), ("lab", "--help")])
def test_help_imports_no_heavy_module(args: tuple[str, ...]) -> None:
    """`--help` (root, and the lab's) leaves pypsrp, the lab server, inventory and journal unloaded."""
    modules = _modules_after(*args)
    assert "orchestrator.cli" in modules  # the probe did run the CLI
    assert [name for name in HEAVY if _loaded(modules, name)] == []


def test_a_lazy_command_loads_its_module_when_invoked() -> None:
    """`inventory --help` imports the inventory package: the probe can tell loaded from not."""
    assert _loaded(_modules_after("inventory", "--help"), "orchestrator.inventory")


@pytest.mark.parametrize("entry", _LAZY, ids=lambda e: e.name)
def test_listed_help_matches_the_command(entry: LazyCommand) -> None:
    """Each lazy command's one-line help in the root listing is the loaded command's own."""
    loaded = entry.load()
    assert loaded.name == entry.name
    assert (loaded.help or "").splitlines()[0] == entry.help


def test_root_help_lists_every_command() -> None:
    """The root help lists the eager commands and the lazy ones, each with its help."""
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for name in ("validate", "run", "plan", "schema", "inventory", "lab", "runs", "show"):
        assert f" {name} " in result.output
    assert "List recent runs" in result.output


def test_a_lazy_command_runs() -> None:
    """A lazy command resolves and runs: `runs` on an empty state dir says nothing was run."""
    result = CliRunner().invoke(app, ["runs", "--state-dir", "/nonexistent-orchestrator-state"])
    assert result.exit_code == 0, result.output
    assert "no run recorded" in result.output
