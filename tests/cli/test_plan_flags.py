"""`plan` and `run --plan` flags: bad ones are input errors (exit 2) naming what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "smsman-reinstall.yml"
INVENTORY = ROOT / "inventory" / "example.yml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["plan", str(PLAYBOOK), "-i", str(INVENTORY), "--format", "pdf"], "--format must be"),
        (["plan", str(PLAYBOOK), "-i", str(INVENTORY), "--report-format", "md"], "report format"),
        (["run", str(PLAYBOOK), "-i", str(INVENTORY), "--allow-drift"], "--allow-drift goes"),
        (["run", str(PLAYBOOK)], "give a PLAYBOOK and --inventory"),
        (["run", "--plan", "no-such-plan.json"], "no plan file"),
        (["run", str(PLAYBOOK), "-i", str(INVENTORY), "--report", "r.pdf"], "--report"),
    ],
)
def test_bad_flags_exit_2_with_a_hint(args: list[str], said: str) -> None:
    """Each mistake: exit 2 before any host is contacted, and the message says what is wrong."""
    result = _cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr


def test_a_plan_file_of_another_version_is_refused_as_input(tmp_path: Path) -> None:
    """A plan from a newer orchestrator: exit 2, naming the version and what to do."""
    plan = tmp_path / "plan.json"
    plan.write_text('{"format": "orchestrator-plan", "version": 99}')
    result = _cli("run", "--plan", str(plan))
    assert result.returncode == 2
    assert "version 99" in result.stderr
    assert "plan again" in result.stderr
