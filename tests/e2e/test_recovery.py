"""The recovery playbooks are safe on a real domain: they act only where needed, check their
preconditions before the first change, stop when a prerequisite failed, and the rotation
follows Q237759. Through the CLI, pypsrp and the lab over a real socket."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.lab.harness import RunningLab

from ..conftest import LabFactory
from .harness import trouble

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
SCENARIOS = ROOT / "orchestrator" / "lab" / "scenarios"
RECOVERY = ["smsman-reinstall", "orphan-and-reinstall", "guest-window"]
CHANGING = ("changed", "failed", "unreachable")


def _cli(lab_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        cwd=lab_dir,
        timeout=280,
        check=False,
    )


def _run(playbook: str, inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(
        inventory.parent,
        "run", str(PLAYBOOKS / f"{playbook}.yml"), "-i", str(inventory), "--yes",
        "--log-format", "json", "--state-dir", str(inventory.parent / "state"),
        "-e", "poll_interval=1s", *_checkin_timeout(playbook), *args,
    )  # fmt: skip


def _checkin_timeout(playbook: str) -> list[str]:
    """The recovery playbooks wait for check-ins; the rotation waits for its rollout."""
    name = "rollout_timeout" if playbook.startswith("rotate") else "checkin_timeout"
    return ["-e", f"{name}=120s"]


def _plan(playbook: str, inventory: Path) -> subprocess.CompletedProcess[str]:
    return _cli(
        inventory.parent,
        "plan", str(PLAYBOOKS / f"{playbook}.yml"), "-i", str(inventory),
        "-e", "poll_interval=1s", "--detailed-exitcode", "--format", "json",
    )  # fmt: skip


def _finished(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return [e for e in events if e["event"] == "host.finished"]


def _touched(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {e["host"] for e in _finished(result) if e["status"] in CHANGING}


def _scenario(tmp_path: Path, base: str, **changes: Any) -> str:
    """A shipped scenario with some top-level sections changed, as a file."""
    data = yaml.safe_load((SCENARIOS / f"{base}.yaml").read_text())
    for key, value in changes.items():
        data[key] = value(data[key]) if callable(value) else value
    path = tmp_path / f"{base}-variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _frozen(lab_factory: LabFactory, tmp_path: Path, **options: Any) -> tuple[RunningLab, Path]:
    """A lab whose clients act only when the test moves the clock (so state is comparable)."""
    lab = lab_factory(clients=5, manual_clock=True, start_now=True, **options)
    lab.backend.advance(timedelta(seconds=20))  # every client has tried its first check-in
    return lab, lab.write_inventory(tmp_path / "lab" / "inventory.yml")


@pytest.mark.parametrize("playbook", RECOVERY)
def test_on_a_healthy_site_a_recovery_playbook_plans_nothing_and_changes_nothing(
    lab_factory: LabFactory, tmp_path: Path, playbook: str
) -> None:
    """Healthy site: `plan --detailed-exitcode` exits 0, and a run changes nothing at all."""
    lab, inventory = _frozen(lab_factory, tmp_path, scenario="healthy")
    before = lab.backend.state_digest()
    planned = _plan(playbook, inventory)
    assert planned.returncode == 0, planned.stdout[-2000:] + planned.stderr
    result = _run(playbook, inventory)
    assert result.returncode == 0, trouble(result)
    assert _touched(result) == set()
    assert lab.backend.state_digest() == before


def test_only_the_broken_clients_are_touched(lab_factory: LabFactory, tmp_path: Path) -> None:
    """Two of five clients broken: method 1 repairs those two and no other client hears of it."""
    lab, inventory = _frozen(lab_factory, tmp_path, scenario="tb1-lockout", broken_clients=2)
    result = _run("smsman-reinstall", inventory)
    assert result.returncode == 0, trouble(result)
    clients = {h for h in _touched(result) if h.startswith("WKS")}
    assert clients == {"WKS0001", "WKS0002"}
    counts = lab.server.counters.snapshot()
    for quiet in ("WKS0003", "WKS0004", "WKS0005"):
        mutating = [
            name for (host, name), _ in counts.cmdlets.items()
            if host == quiet and not name.startswith(("Get-", "Test-"))
        ]  # fmt: skip
        assert mutating == [], (quiet, mutating)
    assert all(c.health.name == "CheckedIn" for c in lab.backend.clients())


@pytest.mark.parametrize("playbook", ["smsman-reinstall", "guest-window"])
def test_a_just_recovered_site_plans_nothing(
    lab_factory: LabFactory, tmp_path: Path, playbook: str
) -> None:
    """After a recovery, the same playbook plans nothing (method 3 opens no window again)."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, start_now=True,
                      retry_interval=timedelta(milliseconds=500))  # fmt: skip
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    result = _run(playbook, inventory)
    assert result.returncode == 0, trouble(result)
    planned = _plan(playbook, inventory)
    assert planned.returncode == 0, planned.stdout[-2000:] + planned.stderr


def test_method_1_checks_the_logon_methods_before_the_first_change(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Both logon methods off: the run stops at the check, nothing was changed anywhere."""
    lab, inventory = _frozen(lab_factory, tmp_path, scenario="tb1-lockout",
                             logon_discovery=False, logon_installation=False)  # fmt: skip
    before = lab.backend.state_digest()
    result = _run("smsman-reinstall", inventory)
    assert result.returncode == 1, trouble(result)
    failed = [e for e in _finished(result) if e["status"] == "failed"]
    assert [e["step"] for e in failed] == ["The site's logon methods let Smsman install clients"]
    assert "Logon Discovery and Logon Client Installation are both off" in failed[0]["error"]
    assert lab.backend.state_digest() == before


def test_the_guest_window_refuses_on_a_modern_domain_before_any_change(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Current Windows blocks the blank-password Guest: the plan reports the refusal and a run
    stops before creating or deleting any account."""
    lab, inventory = _frozen(lab_factory, tmp_path, scenario="tb1-lockout", era="modern")
    planned = _plan("guest-window", inventory)
    assert planned.returncode == 1, planned.stdout[-2000:] + planned.stderr
    assert "precondition fails" in planned.stdout
    result = _run("guest-window", inventory)
    assert result.returncode == 1, trouble(result)
    counts = lab.server.counters.snapshot()
    assert counts.cmdlet_runs("New-ADUser") == counts.cmdlet_runs("Remove-ADUser") == 0
    assert lab.backend.ad_account("SMSClient_TB1") is not None


def _one_account(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "users": [u for u in data["users"] if u["name"] != "SMSClient2_TB1"]}


def test_a_failed_prerequisite_on_the_dc_stops_its_dependents(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """The DC refuses the new account's password: the site is never told of an account that
    does not exist (the run stops after the DC step), and the run fails."""
    strict = _scenario(
        tmp_path, "healthy",
        domain=lambda d: {**d, "password_policy": {"min_length": 120, "complexity": True}},
    )  # fmt: skip
    lab = lab_factory(scenario=strict, clients=5, manual_clock=True, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    result = _run("rotate-connection-account", inventory)
    assert result.returncode == 1, trouble(result)
    failed = [e["step"] for e in _finished(result) if e["status"] == "failed"]
    assert failed == ["Create the next client connection account"]
    assert lab.server.counters.snapshot().cmdlet_runs("New-CMClientConnectionAccount") == 0
    events = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    aborted = [e["reason"] for e in events if e["event"] == "run.aborted"]
    assert aborted
    assert "Create the next client connection account" in aborted[0]


def test_a_rotation_run_twice_keeps_two_valid_accounts_and_never_reuses_a_name(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """From one account: the first rotation adds a second and keeps both; the second adds a
    third name and retires the oldest. Two valid accounts, three distinct names, all learned."""
    one = _scenario(
        tmp_path, "healthy",
        domain=_one_account,
        site=lambda s: {**s, "connection_accounts": [{"name": "CONTOSO\\SMSClient_TB1"}]},
        clients=lambda c: {**c, "known_accounts": c["known_accounts"][:1]},
    )  # fmt: skip
    lab = lab_factory(scenario=one, clients=5, start_now=True,
                      success_interval=timedelta(seconds=3))  # fmt: skip
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    created = []
    for _ in range(2):
        result = _run("rotate-connection-account", inventory)
        assert result.returncode == 0, trouble(result)
        created += [e["step"] for e in _finished(result) if e["status"] == "changed"]
    with lab.backend.inspect() as state:
        assert state.site is not None
        site_accounts = [account.name for account in state.site.accounts]
    assert site_accounts == ["CONTOSO\\SMSClient2_TB1", "CONTOSO\\SMSClient3_TB1"]
    assert lab.backend.ad_account("SMSClient_TB1") is None
    for name in ("SMSClient2_TB1", "SMSClient3_TB1"):
        account = lab.backend.ad_account(name)
        assert account is not None
        assert account.enabled
        assert not account.locked_out
    assert created.count("Create the next client connection account") == 2
