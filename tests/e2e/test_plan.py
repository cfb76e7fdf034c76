"""`orchestrator plan` and `run --plan` end to end: the CLI in a subprocess, pypsrp, the lab.

A plan sends read-only probes only (the lab's whole state digest is unchanged); a run of an
undrifted plan makes exactly the changes the plan predicted; a host that drifted since
planning is refused and left out; changed inputs refuse the whole plan.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.lab.domain import ccim
from orchestrator.lab.harness import RunningLab

from ..conftest import LabFactory
from .harness import trouble
from .lockout import wait_until_locked

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
SHIPPED = ["guest-window", "smsman-reinstall", "orphan-and-reinstall", "rotate-connection-account"]

pytestmark = pytest.mark.e2e


def _cli(*args: str, timeout: float = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ),
    )


def _plan(playbook: Path, inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli("plan", str(playbook), "-i", str(inventory), "-e", "poll_interval=1s", *args)


def _run_plan(plan: Path, inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    state = inventory.parent / "state"
    return _cli(
        "run", "--plan", str(plan), "--state-dir", str(state), "--log-format", "json", *args
    )


def _finished(output: str) -> dict[tuple[str, str], str]:
    """(step, host) -> status of every host.finished event a JSON-logging run printed."""
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {(e["step"], e["host"]): e["status"] for e in events if e["event"] == "host.finished"}


@pytest.fixture
def frozen(lab_factory: LabFactory, tmp_path: Path) -> tuple[RunningLab, Path]:
    """The article's broken site on a clock that moves only when told: nothing changes by itself."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True)
    lab.backend.advance(timedelta(minutes=5))  # the clients fail and lock the account out
    return lab, lab.write_inventory(tmp_path / "lab" / "inventory.yml")


@pytest.mark.parametrize("name", SHIPPED)
def test_plan_changes_nothing_and_says_what_a_run_would_do(
    frozen: tuple[RunningLab, Path], tmp_path: Path, name: str
) -> None:
    """Every shipped playbook: exit 6 (changes pending), a plan file, the lab's state untouched."""
    lab, inventory = frozen
    before = lab.backend.state_digest()
    plan_path = tmp_path / "plan.json"
    result = _plan(
        PLAYBOOKS / f"{name}.yml", inventory, "--out", str(plan_path), "--detailed-exitcode"
    )
    assert result.returncode == 6, result.stdout[-3000:] + result.stderr
    assert lab.backend.state_digest() == before
    plan = json.loads(plan_path.read_text())
    assert plan["format"] == "orchestrator-plan"
    assert plan["changes_pending"] is True
    kinds = {s["kind"] for s in plan["steps"]}
    assert "will-change" in kinds
    assert set(plan["hosts"]) == {s["host"] for s in plan["steps"]}
    assert "will change" in result.stdout or "will-change" in result.stdout


@pytest.mark.parametrize(
    ("name", "scenario"),
    [
        ("guest-window", "tb1-lockout"),
        ("smsman-reinstall", "tb1-lockout"),
        ("rotate-connection-account", "healthy"),
    ],
)
def test_an_undrifted_plan_runs_exactly_as_predicted(
    lab_factory: LabFactory, tmp_path: Path, name: str, scenario: str
) -> None:
    """Each definite prediction is what the run did; a window's changes end rolled back.

    (orphan-and-reinstall is left out: a client may orphan itself on its own cycle between
    the plan and its restart, so "will change" honestly becomes "ok" there.)"""
    lab = lab_factory(
        scenario=scenario,
        clients=5,
        start_now=True,
        retry_interval=timedelta(seconds=1),
        success_interval=timedelta(seconds=3),
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    if scenario == "tb1-lockout":
        wait_until_locked(lab)
    plan_path = tmp_path / "plan.json"
    planned = _plan(PLAYBOOKS / f"{name}.yml", inventory, "--out", str(plan_path))
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr
    result = _run_plan(plan_path, inventory)
    assert result.returncode == 0, trouble(result)
    outcomes = _finished(result.stdout)
    expected = {"will-change": {"changed"}, "no-change": {"ok"}, "skipped": {"skipped"}}
    steps = json.loads(plan_path.read_text())["steps"]
    definite = [s for s in steps if s["kind"] in expected]
    assert len(definite) >= 3
    for step in definite:
        assert outcomes[(step["step"], step["host"])] in expected[step["kind"]], step
    assert {(s["step"], s["host"]) for s in steps} == set(outcomes)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    reverted = {(e.get("step"), e["host"]) for e in events if e["event"] == "window.undo"}
    windowed = {(s["step"], s["host"]) for s in definite if s["step"].startswith(("Enable", "Put"))}
    assert windowed <= reverted


def test_a_drifted_host_is_refused_and_the_rest_runs(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """WKS0003 uninstalled its client after planning: refused with its drift; exit 4."""
    lab = lab_factory(
        scenario="tb1-lockout", clients=5, start_now=True, retry_interval=timedelta(seconds=1)
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    wait_until_locked(lab)
    plan_path = tmp_path / "plan.json"
    planned = _plan(PLAYBOOKS / "smsman-reinstall.yml", inventory, "--out", str(plan_path))
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr
    with lab.backend.inspect() as state:
        host, client = state.host("WKS0003"), state.client("WKS0003")
        assert host is not None
        assert client is not None
        ccim.uninstall(state, host, client)
    before = lab.server.counters.snapshot().http_requests
    result = _run_plan(plan_path, inventory, "--limit", "all:!SITE1")
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr
    assert "--limit" in result.stderr  # a limit other than the plan's refuses the whole plan
    assert lab.server.counters.snapshot().http_requests == before

    result = _run_plan(plan_path, inventory)
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr
    assert "drift on WKS0003: refused, left out" in result.stderr
    repair = "'Repair the client in place (Smsman.exe without /u, as SYSTEM from the logon point)'"
    assert f"{repair}: planned will-change" in " ".join(result.stderr.split())  # rich wraps
    hosts = {host for (_, host) in _finished(result.stdout)}
    assert "WKS0003" not in hosts
    assert {"WKS0001", "WKS0002", "WKS0004", "WKS0005"} <= hosts


def test_changed_inputs_refuse_the_whole_plan(
    frozen: tuple[RunningLab, Path], tmp_path: Path
) -> None:
    """A playbook edited, or other -e values, after planning: exit 4, nothing contacted."""
    lab, inventory = frozen
    playbook = tmp_path / "rotate.yml"
    playbook.write_text((PLAYBOOKS / "rotate-connection-account.yml").read_text())
    plan_path = tmp_path / "plan.json"
    assert _plan(playbook, inventory, "--out", str(plan_path)).returncode == 0
    before = lab.server.counters.snapshot().http_requests
    other_vars = _run_plan(plan_path, inventory, "-e", "poll_interval=2s")
    assert other_vars.returncode == 4, other_vars.stderr
    assert "-e values differ" in other_vars.stderr
    playbook.write_text(playbook.read_text().replace("25h", "26h"))
    edited = _run_plan(plan_path, inventory)
    assert edited.returncode == 4, edited.stderr
    assert "playbook" in edited.stderr
    assert "changed since planning" in edited.stderr
    assert lab.server.counters.snapshot().http_requests == before


def test_no_secret_reaches_a_plan_or_its_reports(
    frozen: tuple[RunningLab, Path], tmp_path: Path
) -> None:
    """The new account's password (a canary) is in no output, plan file or report."""
    _lab, inventory = frozen
    canary = "Canary-Plan-5517!q"
    playbook = tmp_path / "rotate.yml"
    playbook.write_text(
        (PLAYBOOKS / "rotate-connection-account.yml")
        .read_text()
        .replace("next_account_password: generate", "next_account_password: env:ORCH_CANARY")
    )
    os.environ["ORCH_CANARY"] = canary
    try:
        outputs = [tmp_path / n for n in ("plan.json", "plan.md", "plan.html", "r.json", "j.xml")]
        result = _plan(
            playbook,
            inventory,
            "--out",
            str(outputs[0]),
            "--report",
            str(outputs[1]),
            "--junit",
            str(outputs[4]),
            "--format",
            "json",
        )
        html = _plan(playbook, inventory, "--report", str(outputs[2]))
        json_report = _plan(playbook, inventory, "--report", str(outputs[3]))
    finally:
        del os.environ["ORCH_CANARY"]
    for done in (result, html, json_report):
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
        assert canary not in done.stdout + done.stderr
    assert json.loads(result.stdout)["kind"] == "plan"
    for path in outputs:
        assert canary not in path.read_text(), path.name


def test_a_guest_window_plan_reads_like_a_change_ticket(
    frozen: tuple[RunningLab, Path], tmp_path: Path
) -> None:
    """Through pypsrp against the lab: only what changes (`enabled: false -> true`), Guest and
    Users named, the wait's bound value, dated times and one result wording."""
    lab, inventory = frozen
    before = lab.backend.state_digest()
    markdown = tmp_path / "plan.md"
    result = _plan(
        PLAYBOOKS / "guest-window.yml",
        inventory,
        "--detailed-exitcode",
        "--report",
        str(markdown),
    )
    assert result.returncode == 6, result.stdout[-3000:] + result.stderr
    for shown in (result.stdout, markdown.read_text()):
        assert "~ enabled: false -> true" in shown
        assert "unchanged fields hidden)" in shown
        assert "CN=Guest,CN=Users" not in shown  # an unchanged field of the Guest: hidden
        assert '- distinguished_name: "CN=SMSClient_TB1,' in shown  # the deleted account's
        assert '+ members: "S-1-5-21-*-501" (Guest)' in shown
        assert "S-1-5-32-545 (BUILTIN\\Users)" in shown
        assert "wait until aware_ratio >= 0.98 (" in shown
        assert "min_checked_in_ratio" not in shown
        assert "changes pending" in shown
        assert "(exit 6 with --detailed-exitcode)" in shown
        assert "complete (exit" not in shown
        assert re.search(r"Started:\**\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", shown)
    assert lab.backend.state_digest() == before
