"""The CI examples of docs/ci.md, run as documented against the lab: a plan, then its run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest

from ..conftest import LabFactory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"

pytestmark = pytest.mark.e2e


def _script(name: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        ["bash", str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env, "PATH": path},
    )


def test_scheduled_plan_then_approved_run(lab_factory: LabFactory, tmp_path: Path) -> None:
    """ci-plan.sh publishes a plan with changes pending; ci-apply.sh runs it: exit 0, JUnit."""
    lab = lab_factory(
        scenario="healthy", clients=5, start_now=True, success_interval=timedelta(seconds=3)
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    artifacts = tmp_path / "out"
    env = {
        "PLAYBOOK": "playbooks/rotate-connection-account.yml",
        "INVENTORY": str(inventory),
        "ARTIFACTS": str(artifacts),
        "ORCHESTRATOR_STATE_DIR": str(tmp_path / "state"),
    }
    planned = _script("ci-plan.sh", env, "-e", "poll_interval=1s")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert (artifacts / "changes-pending").read_text().strip() == "true"
    assert "will" in (artifacts / "plan.md").read_text().lower()
    assert json.loads((artifacts / "plan.json").read_text())["changes_pending"] is True
    assert (artifacts / "plan.html").read_text().lstrip().lower().startswith("<!doctype html")

    applied = _script("ci-apply.sh", env)
    assert applied.returncode == 0, applied.stdout + applied.stderr + _tail(artifacts)
    suites = ET.parse(artifacts / "run-junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == 8  # eight steps, each on one host
    assert not suites.findall(".//failure") + suites.findall(".//error")
    with lab.backend.inspect() as state:
        assert state.site is not None
        names = [account.name for account in state.site.accounts]
    assert names == ["CONTOSO\\SMSClient2_TB1", "CONTOSO\\SMSClient3_TB1"]  # Q237759: two


def _tail(artifacts: Path) -> str:
    log = artifacts / "run.jsonl"
    return log.read_text()[-3000:] if log.exists() else ""


def test_a_scheduled_plan_of_a_recovery_against_a_healthy_site_has_nothing_pending(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """ci-plan.sh with a recovery playbook on a healthy site: exit 0, changes-pending false."""
    lab = lab_factory(scenario="healthy", clients=5, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    artifacts = tmp_path / "out"
    env = {
        "PLAYBOOK": "playbooks/smsman-reinstall.yml",
        "INVENTORY": str(inventory),
        "ARTIFACTS": str(artifacts),
        "ORCHESTRATOR_STATE_DIR": str(tmp_path / "state"),
    }
    planned = _script("ci-plan.sh", env, "-e", "poll_interval=1s")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert (artifacts / "changes-pending").read_text().strip() == "false"
    assert json.loads((artifacts / "plan.json").read_text())["changes_pending"] is False
