"""Hostile input ends quickly in an input error (exit 2) naming the file or variable: a named
pipe, a device, a directory or an oversized file is refused before it is read, and a template
that would build a huge value or run for ever hits a limit. Each case runs in a subprocess
with a timeout, so a regression fails the test instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "smsman-reinstall.yml"
INVENTORY = ROOT / "inventory" / "example.yml"
QUICKLY = 20.0  # seconds; each case takes about one second when it works
_SKIP_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a real process; TimeoutExpired (a failure) instead of a hang."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("ORCH_ADMIN_PASSWORD", None)
    env.pop("ORCH_CLIENT_PASSWORD", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=QUICKLY,
    )
    assert time.monotonic() - started < QUICKLY
    return result


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe no one writes to: opening it for reading would block for ever."""
    path = tmp_path / "pipe.yml"
    os.mkfifo(path)
    return path


def _refused(result: subprocess.CompletedProcess[str], path: Path, said: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(path) in result.stderr, result.stderr
    assert said in result.stderr, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@_SKIP_FIFO
def test_a_fifo_as_playbook_is_refused(fifo: Path) -> None:
    """`validate PIPE`: exit 2 naming the pipe, instead of waiting for a writer for ever."""
    _refused(_cli("validate", str(fifo)), fifo, "playbook is not a regular file")


@_SKIP_FIFO
def test_a_fifo_as_inventory_is_refused(fifo: Path) -> None:
    """`-i PIPE`: exit 2 naming the pipe."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(fifo))
    _refused(result, fifo, "inventory is not a regular file")


@_SKIP_FIFO
def test_a_fifo_as_vars_file_is_refused(fifo: Path) -> None:
    """`-e @PIPE`: exit 2 naming the pipe."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-e", f"@{fifo}")
    _refused(result, fifo, "vars file is not a regular file")


@_SKIP_FIFO
def test_a_fifo_as_limit_file_is_refused(fifo: Path) -> None:
    """`-l @PIPE`: exit 2 naming the pipe."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-l", f"@{fifo}")
    _refused(result, fifo, "limit file is not a regular file")


@_SKIP_FIFO
def test_a_fifo_as_plan_file_is_refused(fifo: Path) -> None:
    """`run --plan PIPE`: exit 2 naming the pipe."""
    _refused(_cli("run", "--plan", str(fifo)), fifo, "plan file is not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_dev_zero_as_limit_file_is_refused() -> None:
    """`-l @/dev/zero` (endless): exit 2 naming it, instead of reading for ever."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-l", "@/dev/zero")
    _refused(result, Path("/dev/zero"), "limit file is not a regular file")


def test_a_directory_as_inventory_is_refused(tmp_path: Path) -> None:
    """`-i DIR`: exit 2 naming the directory."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(tmp_path))
    _refused(result, tmp_path, "inventory is not a regular file")


def test_a_directory_as_limit_file_is_refused(tmp_path: Path) -> None:
    """`-l @DIR`: exit 2 naming the directory."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-l", f"@{tmp_path}")
    _refused(result, tmp_path, "limit file is not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_dev_zero_as_vars_file_is_refused() -> None:
    """`-e @/dev/zero`: exit 2 naming it as no regular file (not as merely too large)."""
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-e", "@/dev/zero")
    _refused(result, Path("/dev/zero"), "vars file is not a regular file")


def test_a_limit_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    """`-l @BIG` over 1 MiB: exit 2 naming the file and the cap."""
    big = tmp_path / "hosts.txt"
    big.write_text("wks001\n" * 200_000, encoding="utf-8")
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-l", f"@{big}")
    _refused(result, big, "larger than 1048576 bytes")


HOSTILE_TEMPLATES = [
    ("{{ 'a' * 10**9 }}", "template result longer than 1000000 characters"),
    ("{{ [0] * 10**9 }}", "template result longer than 1000000 items"),
    ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
    ("{{ 'a' | center(10**9) }}", "template result longer than 1000000 characters"),
    ("{{ range(10**9) | list }}", "range() larger than 100000 items"),
    ("{{ '{:>1000000000}'.format(1) }}", "template result longer than 1000000 characters"),
    ("{{ (['a' * 999999] * 1000) | join }}", "template result longer than 1000000 characters"),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "template took longer than",
    ),
]


@pytest.mark.parametrize(("template", "said"), HOSTILE_TEMPLATES)
def test_a_hostile_extra_var_is_an_input_error_naming_it(template: str, said: str) -> None:
    """`validate -e client_service=HOSTILE`: exit 2 naming the variable and the limit, in
    seconds, not hours."""
    given = f"client_service={template}"
    result = _cli("validate", str(PLAYBOOK), "-i", str(INVENTORY), "-e", given)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "vars.client_service (-e)" in result.stderr
    assert said in result.stderr


@pytest.mark.parametrize("command", ["plan", "run"])
def test_plan_and_run_refuse_a_hostile_extra_var(command: str) -> None:
    """`plan`/`run -e x={{ 'a' * 10**9 }}`: exit 2 naming the variable, before any host."""
    template = "client_service={{ 'a' * 10**9 }}"
    result = _cli(command, str(PLAYBOOK), "-i", str(INVENTORY), "-e", template)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "vars.client_service (-e): template result longer than 1000000 characters" in result.stderr
    )
