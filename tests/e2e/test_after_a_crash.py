"""After a crash inside a window: `rollback` and `show` as an operator sees them.

The orchestrator is killed in the guest window; the lab's clock is moved past the deadline,
so the failsafe tasks close Guest with nobody there. Then `rollback` runs from the journal
(quiet by default, as `run` is) and `show` says what became of each failsafe.
"""

from __future__ import annotations

import io
import json
import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from orchestrator.journal import Journal
from orchestrator.journal.render import detail_view
from orchestrator.journal.views import gather_detail

from ..conftest import LabFactory
from .harness import KILL_POINTS, NEVER, Window, run_id_of, variant

pytestmark = pytest.mark.e2e


@pytest.fixture
def crashed(lab_factory: LabFactory, tmp_path: Path) -> tuple[Window, str]:
    """A run killed with Guest open on DC1 and CAP1; the deadline passed, the failsafes fired."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    window = Window(lab, inventory, tmp_path / "state", variant(tmp_path, **NEVER), tmp_path)
    run = window.run()
    run.until(KILL_POINTS["waiting for clients"])
    run.process.kill()
    run.finish()
    window.lab.backend.advance(timedelta(hours=2, minutes=5))  # past the deadline, nobody there
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}
    return window, run_id_of(run.events)


def test_rollback_prints_no_debug_lines_by_default(crashed: tuple[Window, str]) -> None:
    """`rollback RUN` says what it rolled back and nothing of the transport's debug logs."""
    window, run_id = crashed
    result = window.command("rollback", run_id)
    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout + result.stderr
    assert "rolled back DC1" in result.stdout
    assert "debug" not in printed
    assert "transport.open" not in printed


def test_rollback_with_vv_prints_debug_lines(crashed: tuple[Window, str]) -> None:
    """`rollback RUN -vv --log-format console` shows the transport's debug lines on stderr, as
    `run` does; the result still goes to stdout."""
    window, run_id = crashed
    result = window.command("rollback", run_id, "-vv", "--log-format", "console")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rolled back DC1" in result.stdout
    assert "[debug" in result.stderr
    assert "transport.open" in result.stderr


def _shown_at(window: Window, run_id: str, now: datetime) -> str:
    """What `show RUN` prints at `now` (the lab's clock moved past the deadline; ours cannot)."""
    with Journal.open(window.state) as journal:
        detail = gather_detail(journal, journal.run(run_id), socket.gethostname(), now)
    console = Console(width=120, file=io.StringIO(), record=True, no_color=True)
    console.print(detail_view(detail, now))
    return console.export_text()


def test_show_says_a_failsafe_that_fired_fired(crashed: tuple[Window, str]) -> None:
    """Before the rollback, show says each failsafe is armed with its deadline passed; once the
    rollback found the tasks had fired, show says `fired at <time>`, in text and JSON."""
    window, run_id = crashed
    before = _shown_at(window, run_id, window.lab.backend.now())
    failsafes = before.split("Failsafes")[1].split("Events")[0]
    assert failsafes.count("armed (deadline passed)") == 2, failsafes
    rollback = window.command("rollback", run_id)
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    after = window.command("show", run_id)
    assert after.returncode == 0, after.stderr
    failsafes = after.stdout.split("Failsafes")[1].split("Events")[0]
    rows = [line for line in failsafes.splitlines() if "guest-access" in line]
    assert len(rows) == 2, failsafes
    for row in rows:
        assert " fired at 20" in row, row
        assert row.rstrip().endswith("Z"), row
        assert "armed" not in row, row
    data = json.loads(window.command("show", run_id, "--format", "json").stdout)
    assert {(f["host"], f["state"]) for f in data["failsafes"]} == {
        ("DC1", "fired"),
        ("CAP1", "fired"),
    }
    assert all(f["fired_at"] for f in data["failsafes"])
    assert (
        all(c["state"] == "failsafe_fired" for c in data["open_changes"])
        or not data["open_changes"]
    )
