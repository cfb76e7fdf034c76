"""The journal keeps every change's before and after facts; `show RUN` prints them."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import typer
from typer.testing import CliRunner

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.journal import EventKind, Journal
from orchestrator.journal.cli import register
from orchestrator.journal.observer import JournalObserver
from orchestrator.logging import Redactor
from orchestrator.secrets import Secret

from .conftest import FakeClock, start_run

AT = datetime(2026, 3, 1, tzinfo=UTC)
KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
BEFORE = {"exists": True, "key": KEY, "value": "2000/06/13 06:28.53", "type": "REG_SZ"}
AFTER = {"exists": True, "key": KEY, "value": "1999/01/01 00:00.00", "type": "REG_SZ"}
BACKDATE = "Backdate Site Config Last Checked"

app = typer.Typer()
register(app)
runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1", "ORCHESTRATOR_STATE_DIR": ""})


def _run_with_changes(journal: Journal, tmp_path: Path) -> str:
    """A run outside any window: one registry value changed on wks1, one already right on
    wks2, a failure on wks3; then a resume reports wks1's step done earlier."""
    run = start_run(journal, tmp_path, run_id="7c1d2e3f4a5b")
    bus = ev.EventBus([JournalObserver(journal, run.id)])
    finished = ev.HostStepFinished
    for event in (
        ev.RunStarted(run.id, "orphan", ("wks1", "wks2", "wks3"), AT),
        ev.StepStarted(0, BACKDATE, "registry", ("wks1", "wks2", "wks3")),
        finished(BACKDATE, "wks1", Status.CHANGED, "write the value", before=BEFORE, after=AFTER),
        finished(BACKDATE, "wks2", Status.OK, "as wanted", before=AFTER, after=AFTER),
        finished(BACKDATE, "wks3", Status.FAILED, error="denied"),
        ev.StepStarted(0, BACKDATE, "registry", ("wks1",)),
        finished(BACKDATE, "wks1", Status.OK, "done earlier in this run: not repeated"),
    ):
        bus.emit(event)
    # the observer queues events for the writer thread; `show` reads through its own
    # connection, which sees only what is committed, as a second process would
    journal.flush()
    return run.id


def test_a_change_outside_a_window_keeps_its_facts(journal: Journal, tmp_path: Path) -> None:
    """A changed host x step's event holds before and after; unchanged and failed ones none."""
    run_id = _run_with_changes(journal, tmp_path)
    finished = [e for e in journal.timeline(run_id) if e.kind is EventKind.HOST_STEP_FINISHED]
    changed, ok, failed, again = finished
    assert (changed.detail["before"], changed.detail["after"]) == (BEFORE, AFTER)
    assert "before" not in ok.detail
    assert "before" not in failed.detail
    assert "before" not in again.detail
    assert journal.changes(run_id) == []  # outside a window: no change record, the facts remain


def test_show_prints_each_change_before_and_after(journal: Journal, tmp_path: Path) -> None:
    """`show RUN`: per changed host and step, the facts before and after, as exact JSON."""
    run_id = _run_with_changes(journal, tmp_path)
    result = runner.invoke(app, ["show", run_id, "--state-dir", str(journal.path.parent)])
    assert result.exit_code == 0, result.output
    section = result.output.split("Before and after each change")[1].split("Events")[0]
    lines = [line.strip() for line in section.strip().splitlines()]
    assert lines[0].startswith(f"1. {BACKDATE}")
    assert lines[0].endswith("on wks1")
    assert lines[1] == "before  " + json.dumps(BEFORE, sort_keys=True)
    assert lines[2] == "after   " + json.dumps(AFTER, sort_keys=True)
    assert "wks2" not in section
    assert "wks3" not in section


def test_show_json_gives_the_facts_on_each_step(journal: Journal, tmp_path: Path) -> None:
    """`show --format json`: each step row carries before and after ({} without a change), so
    the before-state of a run's changes is one jq away."""
    run_id = _run_with_changes(journal, tmp_path)
    result = runner.invoke(
        app, ["show", run_id, "--state-dir", str(journal.path.parent), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    steps = {s["host"]: s for s in json.loads(result.output)["steps"]}
    assert (steps["wks1"]["before"], steps["wks1"]["after"]) == (BEFORE, AFTER)
    assert steps["wks1"]["status"] == "ok"  # the resume's row, the change's facts kept
    assert (steps["wks2"]["before"], steps["wks3"]["after"]) == ({}, {})


def test_a_journal_without_facts_still_shows(journal: Journal, tmp_path: Path) -> None:
    """Events written before facts were kept (no before/after): show works, with no section."""
    run = start_run(journal, tmp_path)
    journal.record_event(
        run.id, EventKind.HOST_STEP_FINISHED, host="cap1", step="Enable Guest", step_index=0,
        attempt=1, status="changed", detail={"summary": "Guest enabled"},
    )  # fmt: skip
    state = str(journal.path.parent)
    text = runner.invoke(app, ["show", run.id, "--state-dir", state])
    assert text.exit_code == 0, text.output
    assert "Before and after" not in text.output
    data = json.loads(
        runner.invoke(app, ["show", run.id, "--state-dir", state, "--format", "json"]).output
    )
    assert data["steps"][0]["before"] == {}


def test_where_a_secret_was_escrowed_is_a_note(journal: Journal, tmp_path: Path) -> None:
    """A SecretEscrowed event becomes a note with the destination, shown among the events."""
    run = start_run(journal, tmp_path)
    bus = ev.EventBus([JournalObserver(journal, run.id)])
    bus.emit(ev.SecretEscrowed("new_account_password", "file:/srv/escrow/r1-pw.txt"))
    bus.emit(ev.SecretEscrowed("scratch", ""))
    first, second = journal.timeline(run.id)
    assert first.kind is EventKind.NOTE
    assert first.detail["destination"] == "file:/srv/escrow/r1-pw.txt"
    assert second.detail["summary"] == "generated secret scratch: not escrowed"
    shown = runner.invoke(app, ["show", run.id, "--state-dir", str(journal.path.parent)])
    assert "generated secret new_account_password: escrowed to file:/srv/escrow/r1-pw.txt" in (
        shown.output
    )


def _leaks(state: Path, canary: str) -> list[str]:
    needles = [canary.encode(), base64.b64encode(canary.encode()), canary.encode("utf-16-le")]
    files = {p.name: p.read_bytes() for p in state.iterdir() if p.is_file()}
    return [name for name, data in files.items() if any(n in data for n in needles)]


def test_facts_never_carry_a_secret_to_disk(tmp_path: Path, clock: FakeClock) -> None:
    """A secret value (or Secret) that reached a change's facts is ******** in the database
    and its WAL: the journal's redactor guards the facts as it guards every detail."""
    canary = f"Canary-Facts-{uuid.uuid4().hex}"
    secret = Secret(canary, "canary")
    redactor = Redactor()
    redactor.add(secret)
    state = tmp_path / "state"
    with Journal.open(state, redactor=redactor, clock=clock) as journal:
        run = start_run(journal, tmp_path)
        JournalObserver(journal, run.id)(
            ev.HostStepFinished(
                "Set it",
                "h",
                Status.CHANGED,
                "set",
                before={"value": f"was {canary}", "nested": [{canary: 1}]},
                after={"value": secret},
            )
        )
        assert (state / "journal.sqlite3-wal").stat().st_size > 0
        assert _leaks(state, canary) == []
        (event,) = journal.timeline(run.id)
        assert event.detail["before"] == {"value": "was ********", "nested": [{"********": 1}]}
        assert event.detail["after"] == {"value": "********"}
    assert _leaks(state, canary) == []
