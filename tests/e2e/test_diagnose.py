"""`orchestrator diagnose` end to end: the CLI in a subprocess, pypsrp, the lab over a real socket.

The article's broken site is diagnosed as broken (every client failing with #2147942405,
SMSClient_TB1 locked out by the clients that know it, a method recommended: exit 6); the
healthy site as healthy (exit 0); a diagnosis changes nothing in the lab; a wrong operator
password costs one failed logon (exit 5); an unreachable CAP is reported (exit 1); the JSON
validates against docs/diagnose.schema.json; no secret reaches any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from orchestrator.lab.harness import PASSWORD_FILE, RunningLab

from ..conftest import LabFactory
from .lockout import wait_until_locked

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "diagnose.schema.json").read_text(encoding="utf-8"))
ACCESS_DENIED = 2147942405
CLIENTS = ["WKS0001", "WKS0002", "WKS0003", "WKS0004", "WKS0005"]

pytestmark = pytest.mark.e2e


def _diagnose(inventory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", "diagnose", "-i", str(inventory), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"},
    )


def _json(inventory: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """The exit code, the JSON diagnosis (validated against the schema), and stderr."""
    done = _diagnose(inventory, "--format", "json", *args)
    data = json.loads(done.stdout)
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)
    return done.returncode, data, done.stderr


def _until_every_client_failed(lab: RunningLab) -> None:
    """Return once every client has tried and failed at least once (the lockout can come from
    the first clients' retries before the last one tried); fail after 30 s."""
    for _ in range(300):
        with lab.backend.inspect() as state:
            tried = [
                c.last_attempt is not None and c.last_error != 0 for c in state.clients.values()
            ]
        if tried and all(tried):
            return
        time.sleep(0.1)
    raise AssertionError("not every client tried to check in")


def _frozen(lab_factory: LabFactory, tmp_path: Path, scenario: str) -> tuple[RunningLab, Path]:
    """A lab on a clock that moves only when told, five minutes in: nothing changes by itself."""
    lab = lab_factory(scenario=scenario, clients=5, manual_clock=True)
    lab.backend.advance(timedelta(minutes=5))
    return lab, lab.write_inventory(tmp_path / "lab" / "inventory.yml")


def test_the_articles_broken_site_is_diagnosed_broken(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Clients running on their own until SMSClient_TB1 is locked out: every client fails with
    #2147942405, the account is locked out with every client named as a likely locker, a
    method is recommended with its playbook and hosts; exit 6."""
    lab = lab_factory(
        scenario="tb1-lockout", clients=5, start_now=True, retry_interval=timedelta(seconds=1)
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    wait_until_locked(lab)
    _until_every_client_failed(lab)
    code, data, stderr = _json(inventory)
    assert code == 6, stderr
    assert data["state"] == "broken"
    assert {c["name"] for c in data["clients"]} == set(CLIENTS)
    assert {(c["status"], c["last_error"]["code"]) for c in data["clients"]} == {
        ("Failing", ACCESS_DENIED)
    }
    assert {c["last_error"]["symbol"] for c in data["clients"]} == {"E_ACCESSDENIED"}
    account = next(a for a in data["accounts"] if a["name"].endswith("\\SMSClient_TB1"))
    assert account["state"] == "locked-out"
    assert account["locked_out"] is True
    assert account["listed_locked_out"] is True
    assert account["bad_logon_count"] >= 5
    assert sorted(account["likely_lockers"]) == CLIENTS
    recovery = [k for k in data["recommended"] if k.startswith("method-")]
    assert len(recovery) == 1, data["methods"]
    chosen = next(m for m in data["methods"] if m["key"] == recovery[0])
    assert chosen["playbook"].startswith("playbooks/")
    assert set(chosen["hosts"]) >= {"DC1", "SITE1"}
    assert "rotation" in data["recommended"]  # one connection account: Q237759
    assert data["unread"] == []


def test_the_healthy_site_is_diagnosed_healthy(lab_factory: LabFactory, tmp_path: Path) -> None:
    """Two connection accounts, every client checked in: nothing to do, no prevention finding
    (the healthy scenario has Q237759's two accounts); exit 0."""
    _lab, inventory = _frozen(lab_factory, tmp_path, "healthy")
    code, data, stderr = _json(inventory)
    assert code == 0, stderr
    assert (data["state"], data["healthy"], data["recommended"]) == ("healthy", True, [])
    assert data["notes"] == []
    assert {a["state"] for a in data["accounts"]} == {"valid"}
    assert data["site"]["too_few_accounts"] is False
    nothing = next(m for m in data["methods"] if m["key"] == "nothing")
    assert nothing["verdict"] == "recommended"


def test_a_diagnosis_changes_nothing(lab_factory: LabFactory, tmp_path: Path) -> None:
    """The lab's whole state digest is the same before and after, in every output format."""
    lab, inventory = _frozen(lab_factory, tmp_path, "tb1-lockout")
    before = lab.backend.state_digest()
    for fmt in ("text", "markdown", "json"):
        done = _diagnose(inventory, "--format", fmt)
        assert done.returncode == 6, done.stdout[-2000:] + done.stderr
    assert lab.backend.state_digest() == before


def test_a_wrong_operator_password_costs_one_failed_logon(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Exit 5; the operator's badPwdCount goes up by exactly one, not once per host."""
    lab, inventory = _frozen(lab_factory, tmp_path, "tb1-lockout")
    (inventory.parent / PASSWORD_FILE).write_text("wrong-password\n")
    code, data, stderr = _json(inventory)
    assert code == 5, stderr
    view = lab.backend.ad_account("labadmin")
    assert view is not None
    assert (view.bad_pwd_count, view.locked_out) == (1, False)
    assert [r["credential"] for r in data["credentials_rejected"]] == ["lab_operator"]
    assert {u["failure"] for u in data["unread"]} == {"refused"}
    assert (data["state"], data["healthy"]) == ("unknown", False)


def test_an_unreachable_cap_is_reported_and_the_rest_is_diagnosed(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """CAP1 down: exit 1, CAP1 named unreachable, Guest on CAP1 unconfirmed (method 3
    blocked), the clients and accounts still diagnosed."""
    lab, inventory = _frozen(lab_factory, tmp_path, "tb1-lockout")
    lab.backend.set_host_up("CAP1", False)
    code, data, stderr = _json(inventory)
    assert code == 1, stderr
    assert [(u["host"], u["part"], u["failure"]) for u in data["unread"]] == [
        ("CAP1", "cap", "unreachable")
    ]
    cap1 = next(c for c in data["caps"] if c["host"] == "CAP1")
    assert cap1["guest_can_work"] is None
    three = next(m for m in data["methods"] if m["key"] == "method-3")
    assert three["verdict"] == "blocked"
    assert any("CAP1" in b for b in three["blockers"])
    assert len(data["clients"]) == 5
    assert data["complete"] is False


def test_no_secret_reaches_any_output(lab_factory: LabFactory, tmp_path: Path) -> None:
    """The operator's password, and a wrong one (a canary), appear in no output or report."""
    lab, inventory = _frozen(lab_factory, tmp_path, "tb1-lockout")
    password = lab.operator()[1]
    reports = [tmp_path / n for n in ("d.md", "d.json", "d.txt")]
    outputs = []
    for report, fmt in zip(reports, ("markdown", "json", "text"), strict=True):
        done = _diagnose(inventory, "--format", fmt, "--report", str(report), "-v")
        assert done.returncode == 6, done.stderr
        outputs += [done.stdout, done.stderr, report.read_text()]
    canary = "Canary-Diagnose-7731!x"
    (inventory.parent / PASSWORD_FILE).write_text(canary + "\n")
    refused = _diagnose(inventory, "--format", "markdown", "-vv")
    assert refused.returncode == 5, refused.stderr
    outputs += [refused.stdout, refused.stderr]
    for text in outputs:
        assert password not in text
        assert canary not in text
    assert "# Diagnosis of site TB1" in reports[0].read_text()
    assert json.loads(reports[1].read_text())["kind"] == "diagnosis"


def test_invalid_input_is_exit_2_before_any_host_is_contacted(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """A bad site code or report extension: exit 2, no request reached the lab."""
    lab, inventory = _frozen(lab_factory, tmp_path, "healthy")
    before = lab.server.counters.snapshot().http_requests
    assert _diagnose(inventory, "--site-code", "TOOLONG").returncode == 2
    assert _diagnose(inventory, "--report", str(tmp_path / "d.html")).returncode == 2
    assert _diagnose(inventory, "--format", "yaml").returncode == 2
    assert lab.server.counters.snapshot().http_requests == before
