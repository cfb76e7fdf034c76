"""The lab started from the CLI serves a plain pypsrp script as a Windows domain would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _wait_for_ready(stdout: IO[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stdout.readline()
        if line.startswith("lab ready:"):
            return line.strip()
        if not line:
            time.sleep(0.05)
    raise AssertionError("the lab never said it was ready")


@pytest.fixture
def served_lab(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """`orchestrator lab serve` in a subprocess, stopped with SIGTERM afterwards."""
    inventory = tmp_path / "lab" / "inventory.yml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestrator",
            "lab",
            "serve",
            "--clients",
            "5",
            "--inventory-out",
            str(inventory),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert process.stdout is not None
    try:
        ready = _wait_for_ready(process.stdout, 60)
        yield inventory, ready
    finally:
        process.send_signal(signal.SIGTERM)
        rest, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors
        assert "lab stopped" in rest


@pytest.mark.e2e
def test_a_plain_pypsrp_script_recovers_the_site(served_lab: tuple[Path, str]) -> None:
    """NTLM with encryption, Guest by SID, a SecureString password, lockout, FQEIDs, recovery."""
    inventory, ready = served_lab
    assert ready == f"lab ready: 8 hosts, inventory at {inventory}"
    result = subprocess.run(
        [sys.executable, str(HERE / "plain_pypsrp_client.py"), str(inventory)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    guest = seen["guest"]
    assert guest["sid"].startswith("S-1-5-21-")
    assert guest["sid"].endswith("-501")
    assert (guest["enabled_after_enable"], guest["enabled_after_disable"]) == (True, False)

    assert seen["new_user"] == {"errors": [], "enabled": True}

    lockout = seen["lockout"]
    assert lockout["wrong_attempts"] == ["401"] * 6
    assert lockout["right_password_after"] == "401"  # locked: the right password fails too
    assert lockout["locked_out"] is True
    assert "lockme" in lockout["search_locked"]

    errors = seen["errors"]
    assert errors["get_local_user"] == [
        "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    ]
    assert errors["get_ad_user"] == [
        (
            "ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException,"
            "Microsoft.ActiveDirectory.Management.Commands.GetADUser"
        )
    ]
    assert errors["remove_ad_user_without_confirm"][0].startswith("HostFunctionNotImplemented")
    assert errors["unknown_command"] == ["CommandNotFoundException"]

    history = seen["recovery"]
    assert history[0]["CheckedIn"] == 0
    assert history[0]["Failing"] == history[0]["Total"] == 5
    assert history[-1]["CheckedIn"] == 5, history
    assert [h["CheckedIn"] for h in history] == sorted(h["CheckedIn"] for h in history)


@pytest.mark.e2e
def test_lab_serve_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) stops the lab with exit code 0 and removes the NTLM credential files."""
    inventory = tmp_path / "lab" / "inventory.yml"
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "lab", "serve", "--inventory-out", str(inventory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    _wait_for_ready(process.stdout, 60)
    assert (tmp_path / "lab" / "lab-state" / "ntlm").is_dir()
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert "lab stopped" in rest
    assert not (tmp_path / "lab" / "lab-state" / "ntlm").exists()


def test_lab_serve_refuses_an_unknown_scenario(tmp_path: Path) -> None:
    """An unknown scenario is an input error naming the shipped ones (exit 2)."""
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "lab", "serve", "--scenario", "nope"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "no scenario 'nope' (shipped scenarios: healthy, tb1-lockout" in result.stderr
