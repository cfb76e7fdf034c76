"""The journal observer: a run's events land in its timeline, and resume can read them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.journal import EventKind, Journal
from orchestrator.journal.observer import JournalObserver

from .conftest import start_run

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_events_become_the_timeline(journal: Journal, tmp_path: Path) -> None:
    """Each engine event is journaled with its host, step index, attempt, status and detail."""
    run = start_run(journal, tmp_path)
    bus = ev.EventBus([JournalObserver(journal, run.id)])
    for event in (
        ev.RunStarted(run.id, "p", ("a", "b"), AT),
        ev.StepStarted(0, "Create account", "ad_user", ("a",)),
        ev.HostStepStarted("Create account", "a", 1),
        ev.HostStepFinished("Create account", "a", Status.CHANGED, summary="created"),
        ev.StepFinished(0, "Create account", {"changed": 1}),
        ev.StepStarted(1, "Enable Guest", "local_user", ("a", "b")),
        ev.Retrying("Enable Guest", "b", 1, 2.0, "ConnectError: refused"),
        ev.StepProgress("Enable Guest", "a", "3 of 5"),
        ev.HostStepFinished(
            "Enable Guest", "a", Status.FAILED, error="denied", error_id="Denied", ignored=True
        ),
        ev.HostStepFinished("Enable Guest", "b", Status.UNREACHABLE, error="refused", attempts=3),
        ev.CredentialRejected("admins", "LAB\\admin", "b"),
        ev.RunAborted("too many failures"),
        ev.RunFinished(run.id, True, AT),
    ):
        bus.emit(event)
    timeline = journal.timeline(run.id)
    assert [e.kind for e in timeline] == [
        EventKind.RUN_STARTED, EventKind.STEP_STARTED, EventKind.HOST_STEP_STARTED,
        EventKind.HOST_STEP_FINISHED, EventKind.STEP_FINISHED, EventKind.STEP_STARTED,
        EventKind.RETRYING, EventKind.HOST_STEP_FINISHED, EventKind.HOST_STEP_FINISHED,
        EventKind.CREDENTIAL_REJECTED, EventKind.RUN_ABORTED, EventKind.RUN_FINISHED,
    ]  # fmt: skip
    unreachable = timeline[8]
    assert (unreachable.host, unreachable.step_index, unreachable.attempt, unreachable.status) == (
        "b",
        1,
        3,
        "unreachable",
    )
    assert timeline[7].detail["error_id"] == "Denied"
    assert journal.finished_steps(run.id) == {("a", 0), ("a", 1)}


def test_window_events_are_journaled(journal: Journal, tmp_path: Path) -> None:
    """A window's opening (deadline, budget), closing reason, undos and close land in the timeline."""
    run = start_run(journal, tmp_path)
    bus = ev.EventBus([JournalObserver(journal, run.id)])
    bus.emit(ev.WindowOpened("guest-access", AT, 42.0, "2 hosts in 1 wave"))
    bus.emit(ev.WindowClosing("guest-access", "a step failed inside the window on cap2"))
    bus.emit(ev.UndoFinished("", "cap1", "Enable Guest", True, "Guest disabled"))
    bus.emit(ev.UndoFinished("guest-access", "cap2", "", False, "could not be reverted"))
    bus.emit(ev.WindowClosed("guest-access", False, ("cap2",)))
    opened, closing, undone, failed, closed = journal.timeline(run.id)
    assert opened.kind is EventKind.WINDOW_OPENED
    assert opened.detail["deadline"] == AT.isoformat()
    assert "2 hosts in 1 wave" in opened.detail["summary"]
    assert closing.detail["summary"] == "a step failed inside the window on cap2"
    assert (undone.kind, undone.host, undone.status) == (EventKind.UNDO, "cap1", "undone")
    assert (failed.step, failed.status) == ("guest-access", "undo_failed")
    assert (closed.status, closed.detail["open_hosts"]) == ("rollback_incomplete", ["cap2"])
