"""`orchestrator runs` and `orchestrator show RUN`: tables for people, JSON for machines."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from orchestrator.commands import Command
from orchestrator.journal import (
    ChangeState,
    EventKind,
    FailsafeState,
    Journal,
    RunStatus,
    WindowStatus,
)
from orchestrator.journal.cli import register
from orchestrator.journal.render import detail_view
from orchestrator.journal.schema import MIGRATIONS, Migration
from orchestrator.journal.views import gather_detail

from .conftest import start_run

app = typer.Typer()
register(app)
runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1", "ORCHESTRATOR_STATE_DIR": ""})


@pytest.fixture
def recorded(journal: Journal, tmp_path: Path) -> str:
    """A failed run: Guest enabled on two CAP servers in a window, one undo failed."""
    run = start_run(journal, tmp_path, run_id="3f9a1c2b4d5e")
    deadline = run.started + timedelta(hours=2)
    window = journal.open_window(run.id, "guest-access", deadline, "target")
    undo = [Command.of("Disable-LocalUser", mutating=True, SID="S-1-5-21-9-501")]
    for index, host in enumerate(("cap1", "cap2")):
        journal.record_event(
            run.id,
            EventKind.HOST_STEP_STARTED,
            host=host,
            step="Enable Guest",
            step_index=1,
            attempt=1,
        )
        change = journal.record_intent(
            run.id, host=host, step="Enable Guest", step_index=1, module="local_user",
            args={"name": "Guest"}, before={"enabled": False}, after={"enabled": True}, undo=undo,
            window_id=window, failsafe_task=f"orchestrator-failsafe-{index}",
        )  # fmt: skip
        journal.mark(change, ChangeState.APPLIED)
        journal.record_event(
            run.id, EventKind.HOST_STEP_FINISHED, host=host, step="Enable Guest", step_index=1,
            attempt=1, status="changed", detail={"summary": "Guest enabled"},
        )  # fmt: skip
        journal.mark(change, ChangeState.UNDONE if host == "cap1" else ChangeState.UNDO_FAILED)
    journal.record_event(
        run.id, EventKind.HOST_STEP_FINISHED, host="site1", step="Wait for clients", step_index=2,
        attempt=3, status="failed", detail={"error_id": "WaitTimeout", "error": "3 of 5 checked in"},
    )  # fmt: skip
    journal.record_event(run.id, EventKind.RUN_ABORTED, detail={"summary": "wait timed out"})
    armed = {"start": "2026-03-01T14:00:04+00:00", "commands": []}
    journal.record_failsafe(
        window,
        "cap2",
        task_name="orchestrator-failsafe-1",
        task_path="\\orchestrator\\",
        armed=armed,
    )
    journal.close_window(window, WindowStatus.ROLLBACK_INCOMPLETE)
    journal.finish_run(run.id, RunStatus.ROLLBACK_INCOMPLETE)
    start_run(journal, tmp_path, run_id="3f00aaaaaaaa")
    return run.id


def test_runs_lists_runs_newest_first_with_open_windows(recorded: str, state: Path) -> None:
    """The runs table shows id, start, user@machine, playbook, status and windows still open."""
    result = runner.invoke(app, ["runs", "--state-dir", str(state)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["run", "started", "by", "playbook", "status", "open", "windows"]
    assert lines[2].startswith("3f9a1c2b4d5e  2026-03-01 12:00:00Z")
    assert "rollback_incomplete" in lines[2]
    assert "guest-access (" in lines[2]
    assert "play.yml" in lines[2]


def test_runs_json(recorded: str, state: Path) -> None:
    """--format json gives the newest runs, as many as --limit says."""
    result = runner.invoke(
        app, ["runs", "--state-dir", str(state), "--format", "json", "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.output)["runs"]
    assert run["id"] == "3f00aaaaaaaa"  # the later of two runs started in the same instant
    assert (run["status"], run["domain"], run["open_windows"]) == ("running", "lab", [])


def test_runs_json_has_window_deadlines(recorded: str, state: Path) -> None:
    """The JSON of a run holds its open windows with their UTC deadlines and status."""
    result = runner.invoke(app, ["runs", "--state-dir", str(state), "--format", "json"])
    runs = {r["id"]: r for r in json.loads(result.output)["runs"]}
    (window,) = runs[recorded]["open_windows"]
    assert (window["name"], window["deadline"], window["status"]) == (
        "guest-access",
        "2026-03-01T14:00:00.000000Z",
        "rollback_incomplete",
    )
    assert len(runs[recorded]["playbook"]["sha256"]) == 64


def test_runs_without_a_journal_creates_nothing(tmp_path: Path) -> None:
    """With no journal yet, runs says so, exits 0 and does not create the state directory."""
    state = tmp_path / "none"
    result = runner.invoke(app, ["runs", "--state-dir", str(state)])
    assert result.exit_code == 0
    assert "no run recorded in" in result.output
    assert not state.exists()


def test_state_dir_from_the_environment(recorded: str, state: Path) -> None:
    """ORCHESTRATOR_STATE_DIR is used when --state-dir is not given."""
    result = runner.invoke(
        app, ["runs", "--format", "json"], env={"ORCHESTRATOR_STATE_DIR": str(state)}
    )
    assert {r["id"] for r in json.loads(result.output)["runs"]} == {recorded, "3f00aaaaaaaa"}


def test_show_by_prefix_prints_steps_windows_and_what_is_open(recorded: str, state: Path) -> None:
    """show RUN prints steps per host with status, the window with its deadline, and the open undo."""
    result = runner.invoke(app, ["show", "3f9", "--state-dir", str(state)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Run 3f9a1c2b4d5e  rollback_incomplete")
    assert "2  Enable Guest      cap1   changed  1         Guest enabled" in out
    assert "3  Wait for clients  site1  failed   3         WaitTimeout: 3 of 5 checked in" in out
    assert "guest-access  2026-03-01 14:00:00Z (passed " in out
    still_open = out.split("Still open")[1]
    assert "cap2" in still_open
    assert "cap1" not in still_open
    assert (
        "undo_failed  orchestrator-failsafe-1  Disable-LocalUser -SID 'S-1-5-21-9-501'"
        in still_open
    )
    failsafes = out.split("Failsafes")[1]
    assert (
        "guest-access  cap2  \\orchestrator\\orchestrator-failsafe-1  armed (deadline passed)"
        "  2026-03-01 14:00:04Z"
    ) in failsafes
    assert "run_aborted" in out
    assert "wait timed out" in out


def test_show_json(recorded: str, state: Path) -> None:
    """show --format json gives the run, steps, windows, open changes and the whole timeline."""
    result = runner.invoke(app, ["show", recorded, "--state-dir", str(state), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["run"]["status"] == "rollback_incomplete"
    assert [(s["host"], s["status"]) for s in data["steps"]] == [
        ("cap1", "changed"),
        ("cap2", "changed"),
        ("site1", "failed"),
    ]
    (change,) = data["open_changes"]
    assert (change["host"], change["state"], change["undo"]) == (
        "cap2",
        "undo_failed",
        ["Disable-LocalUser -SID 'S-1-5-21-9-501'"],
    )
    assert data["windows"][0]["deadline"] == "2026-03-01T14:00:00.000000Z"
    (failsafe,) = data["failsafes"]
    assert (failsafe["host"], failsafe["state"], failsafe["start"], failsafe["fired_at"]) == (
        "cap2",
        "armed",
        "2026-03-01T14:00:04+00:00",
        None,
    )
    assert len(data["events"]) == 6
    assert data["lock"] is None


def _failsafe_rows(journal: Journal, run_id: str, now: datetime) -> list[str]:
    detail = gather_detail(journal, journal.run(run_id), "here", now)
    console = Console(width=200, file=io.StringIO(), record=True, no_color=True)
    console.print(detail_view(detail, now))
    section = console.export_text().split("Failsafes")[1].split("Events")[0]
    return [line.rstrip() for line in section.splitlines() if "guest-access" in line]


def test_show_says_armed_until_the_deadline_then_deadline_passed(
    recorded: str, journal: Journal
) -> None:
    """Before its window's deadline a failsafe is `armed`; after it, with nothing read from
    the host since, `armed (deadline passed)`: it may have fired."""
    deadline = journal.windows(recorded)[0].deadline
    (before,) = _failsafe_rows(journal, recorded, deadline - timedelta(seconds=1))
    (after,) = _failsafe_rows(journal, recorded, deadline)
    assert before.endswith("  armed  2026-03-01 14:00:04Z")
    assert after.endswith("  armed (deadline passed)  2026-03-01 14:00:04Z")


def test_show_says_when_a_failsafe_fired(recorded: str, state: Path, journal: Journal) -> None:
    """A failsafe found fired shows `fired at <time>` (the journal's time format), and its JSON
    `state: fired` with `fired_at`."""
    window = journal.windows(recorded)[0].id
    fired = datetime(2026, 3, 1, 14, 0, 6, tzinfo=UTC)
    journal.mark_failsafe(window, "cap2", FailsafeState.FIRED, fired=fired)
    result = runner.invoke(app, ["show", recorded, "--state-dir", str(state)])
    assert result.exit_code == 0, result.output
    assert (
        "orchestrator-failsafe-1  fired at 2026-03-01 14:00:06Z  2026-03-01 14:00:04Z"
        in result.output.split("Failsafes")[1]
    )
    data = json.loads(
        runner.invoke(app, ["show", recorded, "--state-dir", str(state), "--format", "json"]).output
    )
    (failsafe,) = data["failsafes"]
    assert (failsafe["state"], failsafe["fired_at"]) == ("fired", "2026-03-01T14:00:06.000000Z")


def test_show_unknown_run_exits_2_with_a_suggestion(recorded: str, state: Path) -> None:
    """An unknown run id exits 2 and suggests `orchestrator runs` and the latest run ids."""
    result = runner.invoke(app, ["show", "zzz", "--state-dir", str(state)])
    assert result.exit_code == 2
    assert "no run id starts with 'zzz'" in result.output
    assert (
        "`orchestrator runs` lists them; most recent: 3f00aaaaaaaa, 3f9a1c2b4d5e" in result.output
    )


def test_show_ambiguous_prefix_exits_2_naming_candidates(recorded: str, state: Path) -> None:
    """An ambiguous prefix exits 2 naming the runs it matches."""
    result = runner.invoke(app, ["show", "3f", "--state-dir", str(state)])
    assert result.exit_code == 2
    assert "ambiguous" in result.output
    assert "3f9a1c2b4d5e" in result.output
    assert "3f00aaaaaaaa" in result.output


def test_show_without_a_journal_exits_2(tmp_path: Path) -> None:
    """show with no journal in the state dir exits 2 and names where it looked."""
    result = runner.invoke(app, ["show", "abc", "--state-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no journal at" in result.output
    assert not (tmp_path / "none").exists()


def test_newer_journal_exits_2_untouched(state: Path, tmp_path: Path) -> None:
    """A journal from a newer orchestrator gives a clear error and exit 2, never a traceback."""
    newer = Migration(MIGRATIONS[-1].version + 1, ("CREATE TABLE future (x INTEGER)",))
    Journal.open(state, migrations=(*MIGRATIONS, newer)).close()
    result = runner.invoke(app, ["runs", "--state-dir", str(state)])
    assert result.exit_code == 2
    assert "newer than this orchestrator understands" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(90, "in 1m 30s"), (-3900, "passed 1h 05m ago"), (3 * 86400 + 7200, "in 3d 2h")],
)
def test_deadlines_read_as_time_left(seconds: int, text: str) -> None:
    """A deadline is shown as how long is left, or how long ago it passed."""
    from orchestrator.journal.render import until

    from .conftest import T0

    assert until(T0 + timedelta(seconds=seconds), T0) == text
