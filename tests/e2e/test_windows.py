"""Rollback windows end to end: the CLI in a subprocess, pypsrp, the lab with a hand-driven clock.

The orchestrator runs in real time; the lab's clock moves only when a test advances it, so a
test can kill the orchestrator and then jump the lab past the window's deadline to watch the
failsafe tasks close Guest with no orchestrator present.
"""

from __future__ import annotations

import json
import signal
from datetime import timedelta
from pathlib import Path

import pytest

from ..conftest import LabFactory
from .harness import (
    GUEST_WINDOW,
    KILL_POINTS,
    NEVER,
    Orchestrator,
    Window,
    run_id_of,
    variant,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def window(lab_factory: LabFactory, tmp_path: Path) -> Window:
    """tb1-lockout, clock by hand; a guest-window whose wait never ends (clients are frozen)."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    return Window(lab, inventory, tmp_path / "state", variant(tmp_path, **NEVER), tmp_path)


@pytest.mark.parametrize("point", list(KILL_POINTS), ids=lambda p: p.replace(" ", "-"))
def test_kill_9_inside_the_window_the_failsafe_closes_guest(window: Window, point: str) -> None:
    """kill -9 at a point in the window: by the deadline Guest is closed; rollback leaves nothing."""
    run = window.run()
    run.until(KILL_POINTS[point])
    run.process.kill()
    run.finish()
    run_id = run_id_of(run.events)
    window.lab.backend.advance(timedelta(hours=2, minutes=5))  # past the deadline, nobody there
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}
    rollback = window.command("rollback", run_id)
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    again = window.command("rollback", run_id)
    assert again.returncode == 0
    assert "nothing is open" in again.stdout
    assert all(task is None for task in window.tasks(run_id).values())
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_reverts_before_the_process_exits(window: Window, sig: signal.Signals) -> None:
    """Ctrl-C or SIGTERM while waiting: every change undone and verified, failsafes gone, exit 1."""
    run = window.run()
    run.until(KILL_POINTS["waiting for clients"])
    assert window.guest_enabled() == {"DC1": True, "CAP1": True}
    run.process.send_signal(sig)
    code, err = run.finish()
    assert code == 1, err
    closed = [e for e in run.events if e["event"] == "window.closed"]
    assert closed[0]["complete"] is True
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}
    assert all(task is None for task in window.tasks(run_id_of(run.events)).values())


def test_the_deadline_reached_while_waiting_undoes(lab_factory: LabFactory, tmp_path: Path) -> None:
    """A wait that outlives the window: forward work stops in time for the revert; exit 1.

    `validate` refuses a wait that cannot fit even with the shortest revert (the hosts'
    connection timeout); one host at a time (--forks 1) makes the run's revert three times
    that, so the 80s wait fits the 120s deadline on paper and the run must cut it short."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    playbook = variant(tmp_path, **NEVER, **{"deadline: 2h": "deadline: 120s"})
    state = Window(lab, inventory, tmp_path / "state", playbook, tmp_path)
    run = state.run("-e", "checkin_timeout=80s", "--forks", "1")
    code, err = run.finish(timeout=180)
    assert code == 1, err
    (waited,) = [
        e for e in run.events if e["event"] == "host.finished" and e["step"].startswith("Wait")
    ]
    assert waited["status"] == "failed"
    assert waited["error"].startswith("window deadline near: stopping to revert")
    opened = next(e for e in run.events if e["event"] == "window.opened")
    closed = next(e for e in run.events if e["event"] == "window.closed")
    assert closed["complete"] is True
    assert closed["timestamp"] < opened["deadline"]
    assert state.guest_enabled() == {"DC1": False, "CAP1": False}


def test_a_host_unreachable_at_undo_is_named_and_closed_by_its_failsafe(window: Window) -> None:
    """CAP1 down when the revert comes: exit 3 naming it; its failsafe closes Guest once it is up."""
    run = window.run()
    run.until(KILL_POINTS["waiting for clients"])
    window.lab.backend.set_host_up("CAP1", False)
    run.process.send_signal(signal.SIGINT)
    code, err = run.finish(timeout=180)
    assert code == 3, err
    closed = next(e for e in run.events if e["event"] == "window.closed")
    assert closed["still_open"] == ["CAP1"]
    assert window.guest_enabled()["DC1"] is False
    window.lab.backend.advance(timedelta(hours=2, minutes=5))  # deadline passes while it is down
    window.lab.backend.set_host_up("CAP1", True)
    window.lab.backend.advance(timedelta(minutes=11))  # StartWhenAvailable: ~10 minutes after boot
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}
    rollback = window.command("rollback", run_id_of(run.events))
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr


def test_a_second_run_against_the_same_domain_is_refused(window: Window) -> None:
    """While one run holds the domain's lock, another is refused (exit 4) naming the holder."""
    first = window.run()
    first.until(KILL_POINTS["waiting for clients"])
    second = window.run()
    code, err = second.finish()
    assert code == 4, err
    assert "refused" in err
    assert run_id_of(first.events) in err
    first.process.send_signal(signal.SIGINT)
    assert first.finish()[0] == 1


def test_the_guest_window_recovers_the_site(lab_factory: LabFactory, tmp_path: Path) -> None:
    """guest-window.yml against the locked-out site (real time): clients recover, Guest closed."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    state = Window(lab, inventory, tmp_path / "state", GUEST_WINDOW, tmp_path)
    run = state.run("-e", "checkin_timeout=90s")
    code, err = run.finish(timeout=240)
    assert code == 0, err
    assert state.guest_enabled() == {"DC1": False, "CAP1": False}
    clients = lab.backend.clients()
    assert all("CONTOSO\\SMSClient2_TB1" in c.known_accounts for c in clients), clients
    assert lab.backend.ad_account("SMSClient_TB1") is None
    assert all(task is None for task in state.tasks(run_id_of(run.events)).values())
    shown = state.command("show", run_id_of(run.events), "--format", "json")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["run"]["status"] == "succeeded"


def test_resume_makes_the_window_safe_then_finishes_without_repeating(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """kill -9 in the window, then resume: the window is rolled back, run again, steps before kept."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    playbook = variant(
        tmp_path, **{"until: aware_ratio >= min_checked_in_ratio": "until: total >= 0"}
    )
    window = Window(lab, inventory, tmp_path / "state", playbook, tmp_path)
    first = window.run()
    first.until(KILL_POINTS["local Guest enabled"])
    first.process.kill()
    first.finish()
    run_id = run_id_of(first.events)
    changed = window.command("resume", run_id, "-e", "poll_interval=2s", "--yes")
    assert changed.returncode == 4, changed.stdout + changed.stderr  # other -e values: refused
    resumed = Orchestrator(
        [
            "resume",
            run_id,
            "-e",
            "poll_interval=1s",
            "--yes",
            "--log-format",
            "json",
            "--state-dir",
            str(window.state),
        ],
        tmp_path,
    )
    code, err = resumed.finish(timeout=180)
    assert code == 0, err
    finished = [e for e in resumed.events if e["event"] == "host.finished"]
    kept = [e for e in finished if e.get("change") == "done earlier in this run: not repeated"]
    assert {e["step"] for e in kept} == {
        "Create the new client connection account",
        "Add the new account to the site's client connection accounts",
        "Remove the old account from the site's client connection accounts",
        "Delete the old account so that clients fall back to Guest",
    }
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}
    shown = window.command("show", run_id, "--format", "json")
    assert json.loads(shown.stdout)["run"]["status"] == "succeeded"
