"""`orchestrator run` end to end: the CLI in a subprocess, pypsrp, a real socket, the lab.

Each test starts the lab in the article's state, runs a shipped playbook through the real
command line, and checks through pypsrp queries that the domain ended recovered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.commands import SWITCH, Command
from orchestrator.inventory.loader import load_inventory
from orchestrator.lab.harness import RunningLab
from orchestrator.lab.http.faults import FaultSpec
from orchestrator.secrets import Secret
from orchestrator.transport.psrp import PsrpConnector

from ..conftest import LabFactory
from .harness import trouble
from .lockout import wait_until_locked

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
CANARY = "Canary-Rotate-9931!x"
KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"

pytestmark = pytest.mark.e2e


def _run(
    playbook: Path, inventory: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "orchestrator",
        "run",
        str(playbook),
        "-i",
        str(inventory),
        "--yes",
        "--state-dir",
        str(inventory.parent / "state"),  # each test its own journal and domain lock
        "--log-format",
        "json",
        *(["-e", "poll_interval=1s"] if "poll_interval" in playbook.read_text() else []),
        *args,
    ]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=200,  # under pytest's 300 s, so that a hang shows what the run printed
            check=False,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired as hung:
        printed = (hung.stdout or b"")[-6000:], (hung.stderr or b"")[-3000:]
        text = [p.decode(errors="replace") if isinstance(p, bytes) else p for p in printed]
        pytest.fail(f"orchestrator run hung for 200 s; it printed:\n{text[0]}\n{text[1]}")


def _events(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


class Site:
    """The lab read over WinRM with pypsrp, as an operator's tools would."""

    def __init__(self, inventory_path: Path, operator: tuple[str, str]) -> None:
        self.inventory = load_inventory(inventory_path)
        user, password = operator
        self.connector = PsrpConnector(self.inventory, {"lab_operator": (user, Secret(password))})

    def run(self, host: str, cmdlet: str, **params: Any) -> list[Any]:
        target = next(h for h in self.inventory.hosts if h.name == host)
        result = self.connector.transport(target).run(Command.of(cmdlet, **params))
        assert result.ok, result.errors
        return list(result.outputs)

    def summary(self) -> dict[str, Any]:
        return dict(self.run("SITE1", "Get-CMClientStatusSummary")[0])

    def locked_out(self) -> list[str]:
        return [
            str(a["SamAccountName"]) for a in self.run("DC1", "Search-ADAccount", LockedOut=SWITCH)
        ]

    def accounts(self) -> list[str]:
        return [str(a["UserName"]) for a in self.run("SITE1", "Get-CMClientConnectionAccount")]


@pytest.fixture
def broken(lab_factory: LabFactory, tmp_path: Path) -> Iterator[tuple[RunningLab, Path, Site]]:
    """The article's locked-out site TB1 (5 clients, real time), its inventory, a reader.

    Clients retry every half second: a client then often reads a backdated value on its own
    cycle before the playbook restarts its service, the race a slow machine meets too."""
    lab = lab_factory(
        scenario="tb1-lockout",
        clients=5,
        start_now=True,
        retry_interval=timedelta(milliseconds=500),
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    site = Site(inventory, lab.operator())
    yield lab, inventory, site
    site.connector.close_all()


def test_method_1_smsman_reinstall_recovers_the_site(broken: tuple[RunningLab, Path, Site]) -> None:
    """smsman-reinstall.yml: every client reinstalled, the account unlocked, all checked in."""
    lab, inventory, site = broken
    wait_until_locked(lab)
    assert site.summary()["CheckedIn"] == 0
    result = _run(PLAYBOOKS / "smsman-reinstall.yml", inventory)
    assert result.returncode == 0, trouble(result)
    summary = site.summary()
    assert (summary["CheckedIn"], summary["Failing"]) == (5, 0)
    assert "SMSClient_TB1" not in site.locked_out()


def test_method_2_orphan_and_reinstall_recovers_the_site(
    broken: tuple[RunningLab, Path, Site],
) -> None:
    """orphan-and-reinstall.yml: backdated REG_SZ + restart orphan each client; reinstalled, all check in."""
    lab, inventory, site = broken
    wait_until_locked(lab)
    result = _run(PLAYBOOKS / "orphan-and-reinstall.yml", inventory)
    assert result.returncode == 0, trouble(result)
    assert site.summary()["CheckedIn"] == 5
    assert all(c["Installed"] for c in site.run("SITE1", "Get-CMClientStatus"))
    finished = [e for e in _events(result.stdout) if e["event"] == "host.finished"]
    backdated = [e for e in finished if e["step"].startswith("Backdate")]
    assert {e["status"] for e in backdated} == {"changed"}


def test_rotation_never_locks_clients_out_and_secrets_stay_secret(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """rotate-connection-account.yml on a healthy site: new account learned, old one gone, no leak."""
    lab = lab_factory(
        scenario="healthy", clients=5, start_now=True, success_interval=timedelta(seconds=3)
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    playbook = tmp_path / "rotate.yml"
    playbook.write_text(
        (PLAYBOOKS / "rotate-connection-account.yml")
        .read_text()
        .replace(
            "next_account_password: generate", "next_account_password: env:ORCH_TEST_NEXT_PASSWORD"
        )
    )
    result = _run(playbook, inventory, env={"ORCH_TEST_NEXT_PASSWORD": CANARY})
    assert result.returncode == 0, trouble(result)
    assert CANARY not in result.stdout + result.stderr
    site = Site(inventory, lab.operator())
    try:
        assert site.accounts() == ["CONTOSO\\SMSClient2_TB1", "CONTOSO\\SMSClient3_TB1"]
        assert site.run("DC1", "Get-ADUser", Filter="SamAccountName -eq 'SMSClient_TB1'") == []
        summary = dict(
            site.run("SITE1", "Get-CMClientStatusSummary", Account="CONTOSO\\SMSClient3_TB1")[0]
        )
        assert (summary["CheckedIn"], summary["Aware"]) == (5, 5)
        assert site.locked_out() == []
    finally:
        site.connector.close_all()
    assert lab.backend.authenticate("DC1", "CONTOSO\\SMSClient3_TB1", CANARY).value == "ok"


def test_a_wrong_admin_password_is_tried_exactly_once(
    broken: tuple[RunningLab, Path, Site],
) -> None:
    """A bad operator password: exit 5, one authentication attempt in all, no lockout, no step run."""
    lab, inventory, _site = broken
    (inventory.parent / "lab-operator.password").write_text("not-the-password\n")
    before = lab.server.counters.snapshot()
    result = _run(PLAYBOOKS / "smsman-reinstall.yml", inventory)
    assert result.returncode == 5, result.stdout[-2000:]
    after = lab.server.counters.snapshot()
    assert (
        after.auth_failures.get("CONTOSO\\labadmin", 0)
        - before.auth_failures.get("CONTOSO\\labadmin", 0)
        == 1
    )
    view = lab.backend.ad_account("labadmin")
    assert view is not None
    assert (view.bad_pwd_count, view.locked_out) == (1, False)
    events = _events(result.stdout)
    rejected = [e for e in events if e["event"] == "credential.rejected"]
    assert len(rejected) == 1
    assert rejected[0]["attempts"] == 1
    assert not [e for e in events if e["event"] == "host.finished" and e["status"] == "changed"]


def test_retries_under_faults_make_no_change_twice(
    broken: tuple[RunningLab, Path, Site], tmp_path: Path
) -> None:
    """An HTTP 503 on the probe, a dropped reply later: the read-only command is sent again at
    once (no step retry), the account is made exactly once, and a second run changes nothing."""
    lab, inventory, site = broken
    playbook = tmp_path / "create.yml"
    playbook.write_text(
        "name: create\nsecrets: {pw: generate}\nsteps:\n"
        "  - name: Create an account\n    hosts: domain_controller[0]\n"
        "    ad_user: {name: Created_TB1, state: present, password: '{{ secrets.pw }}', enabled: true}\n"
        "    retry: {attempts: 4, delay: 100ms, max_delay: 1s}\n"
    )
    lab.server.faults.set(
        "DC1", FaultSpec(http_status=503, times=1, actions=frozenset({"Command"}))
    )
    lab.server.faults.add("DC1", FaultSpec(latency=0.2, times=3))
    result = _run(playbook, inventory)
    assert result.returncode == 0, trouble(result)
    events = _events(result.stdout)
    retried = [(e["attempt"], e["resent"]) for e in events if e["event"] == "host.retrying"]
    assert retried == [(1, "Get-ADUser")]
    (finished,) = [e for e in events if e["event"] == "host.finished"]
    assert (finished["status"], finished["attempts"]) == ("changed", 1)
    assert len(site.run("DC1", "Get-ADUser", Filter="SamAccountName -eq 'Created_TB1'")) == 1
    assert lab.server.counters.snapshot().cmdlet_runs("New-ADUser", host="DC1") == 1

    lab.server.faults.set("DC1", FaultSpec(drop=True, times=1, actions=frozenset({"Receive"})))
    again = _run(playbook, inventory)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    (finished,) = [e for e in _events(again.stdout) if e["event"] == "host.finished"]
    assert finished["status"] == "ok"  # it exists: the probe saw it, nothing was sent twice


def test_fifty_hosts_in_parallel(lab_factory: LabFactory, tmp_path: Path) -> None:
    """One step on 50 client hosts through 20 forks: every host changed, each exactly once."""
    lab = lab_factory(scenario="healthy", clients=50, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    playbook = tmp_path / "mark.yml"
    playbook.write_text(
        "name: mark\nsteps:\n  - name: Mark every client\n    hosts: client\n"
        "    registry: {path: 'HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1',"
        " name: Marked, type: REG_DWORD, value: 1}\n"
    )
    result = _run(playbook, inventory, "--forks", "20")
    assert result.returncode == 0, trouble(result)
    finished = [e for e in _events(result.stdout) if e["event"] == "host.finished"]
    assert len(finished) == 50
    assert {e["status"] for e in finished} == {"changed"}
    marked = [
        lab.backend.registry_value(h, KEY, "Marked") for h in lab.endpoints() if h.startswith("WKS")
    ]
    assert len(marked) == 50
    assert all(m is not None for m in marked)
