"""Failsafes in the journal: one per host and window, kept exactly, named on the changes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.commands import Command
from orchestrator.journal import FailsafeState, Journal, JournalError, SecretInJournalError
from orchestrator.journal.schema import MIGRATIONS
from orchestrator.logging import Redactor
from orchestrator.secrets import Secret

from .conftest import T0, start_run

ARMED: dict[str, Any] = {
    "host": "cap1",
    "task_name": "orchestrator-failsafe-3f9a",
    "task_path": "\\orchestrator\\",
    "start": "2026-03-01T14:00:05+00:00",
    "commands": [
        {"cmdlet": "Disable-LocalUser", "parameters": [["SID", "S-1-5-21-9-501"]], "mutating": True}
    ],
}


def _window(journal: Journal, tmp_path: Path) -> tuple[str, int]:
    run = start_run(journal, tmp_path)
    return run.id, journal.open_window(run.id, "guest-access", T0 + timedelta(hours=2), "target")


def _change(journal: Journal, run_id: str, window_id: int, host: str) -> int:
    undo = (Command.of("Disable-LocalUser", mutating=True, SID="S-1-5-21-9-501"),)
    return journal.record_intent(
        run_id, host=host, step="Enable Guest", step_index=1, module="local_user", args={},
        before={}, after={}, undo=undo, window_id=window_id,
    )  # fmt: skip


def test_a_failsafe_is_kept_exactly_and_named_on_the_hosts_changes(
    journal: Journal, tmp_path: Path
) -> None:
    """record_failsafe keeps the armed JSON as given and names the task on that host's changes only."""
    run_id, window = _window(journal, tmp_path)
    _change(journal, run_id, window, "cap1")
    _change(journal, run_id, window, "cap2")
    journal.record_failsafe(
        window, "cap1", task_name=ARMED["task_name"], task_path=ARMED["task_path"], armed=ARMED
    )
    (failsafe,) = journal.failsafes(run_id)
    assert (failsafe.host, failsafe.window_id, failsafe.state) == (
        "cap1",
        window,
        FailsafeState.ARMED,
    )
    assert failsafe.armed == ARMED
    tasks = {c.host: c.failsafe_task for c in journal.changes(run_id)}
    assert tasks == {"cap1": "orchestrator-failsafe-3f9a", "cap2": None}


def test_rearming_replaces_the_hosts_failsafe(journal: Journal, tmp_path: Path) -> None:
    """Arming the same host again in a window replaces its record (one task per host and window)."""
    run_id, window = _window(journal, tmp_path)
    first = journal.record_failsafe(window, "cap1", task_name="t", task_path="\\", armed={"n": 1})
    journal.mark_failsafe(window, "cap1", FailsafeState.DISARMED)
    second = journal.record_failsafe(window, "cap1", task_name="t", task_path="\\", armed={"n": 2})
    (failsafe,) = journal.failsafes(run_id)
    assert first == second == failsafe.id
    assert (failsafe.armed, failsafe.state) == ({"n": 2}, FailsafeState.ARMED)


def test_armed_failsafes_leave_out_disarmed_and_fired(journal: Journal, tmp_path: Path) -> None:
    """armed_failsafes lists only those still armed, in arming order."""
    run_id, window = _window(journal, tmp_path)
    for host in ("cap1", "cap2", "cap3"):
        journal.record_failsafe(window, host, task_name=f"t-{host}", task_path="\\", armed={})
    journal.mark_failsafe(window, "cap1", FailsafeState.DISARMED)
    journal.mark_failsafe(window, "cap3", FailsafeState.FIRED)
    assert [f.host for f in journal.armed_failsafes(run_id)] == ["cap2"]
    assert [f.state for f in journal.failsafes(run_id)] == [
        FailsafeState.DISARMED,
        FailsafeState.ARMED,
        FailsafeState.FIRED,
    ]


def test_a_failsafe_found_fired_keeps_when_until_it_is_armed_again(
    journal: Journal, tmp_path: Path
) -> None:
    """Marked fired, a failsafe keeps the time it fired (for `show`); armed again, it has none."""
    run_id, window = _window(journal, tmp_path)
    journal.record_failsafe(window, "cap1", task_name="t", task_path="\\", armed={})
    fired = T0 + timedelta(hours=2, seconds=3)
    journal.mark_failsafe(window, "cap1", FailsafeState.FIRED, fired=fired)
    (failsafe,) = journal.failsafes(run_id)
    assert (failsafe.state, failsafe.fired) == (FailsafeState.FIRED, fired)
    journal.record_failsafe(window, "cap1", task_name="t", task_path="\\", armed={})
    (failsafe,) = journal.failsafes(run_id)
    assert (failsafe.state, failsafe.fired) == (FailsafeState.ARMED, None)


def test_a_failsafe_of_a_v1_journal_has_no_fired_time(state: Path, tmp_path: Path) -> None:
    """A journal written before failsafes kept their fired time is migrated: none is known."""
    with Journal.open(state, migrations=MIGRATIONS[:1]) as old:
        run_id, window = _window(old, tmp_path)
        with old.database.write() as conn:  # as v1 code wrote it
            conn.execute(
                "INSERT INTO failsafes (run_id, window_id, host, task_name, task_path, armed,"
                " state, created, updated) VALUES (?, ?, 'cap1', 't', '\\', '{}', 'armed', ?, ?)",
                (run_id, window, "2026-03-01T12:00:00.000000Z", "2026-03-01T12:00:00.000000Z"),
            )
    with Journal.open(state) as new:
        (failsafe,) = new.failsafes(run_id)
    assert (failsafe.state, failsafe.fired) == (FailsafeState.ARMED, None)


def test_unknown_window_or_failsafe_is_an_error(journal: Journal, tmp_path: Path) -> None:
    """A failsafe of an unknown window, or marking one never armed, is a JournalError."""
    _, window = _window(journal, tmp_path)
    with pytest.raises(JournalError, match="no window 99"):
        journal.record_failsafe(99, "cap1", task_name="t", task_path="\\", armed={})
    with pytest.raises(JournalError, match="no failsafe of cap9"):
        journal.mark_failsafe(window, "cap9", FailsafeState.DISARMED)


def test_a_secret_in_a_failsafe_is_refused(state: Path, tmp_path: Path) -> None:
    """A Secret, or a registered secret value (even one JSON would escape), is refused: nothing is kept."""
    redactor = Redactor()
    redactor.add(Secret('pa"ss\\word'))
    with Journal.open(state, redactor=redactor) as journal:
        run_id, window = _window(journal, tmp_path)
        for armed in ({"commands": [Secret("x")]}, {"commands": [["Password", 'pa"ss\\word']]}):
            with pytest.raises(SecretInJournalError):
                journal.record_failsafe(window, "cap1", task_name="t", task_path="\\", armed=armed)
        with pytest.raises(JournalError, match="cannot be journaled"):
            journal.record_failsafe(
                window, "cap1", task_name="t", task_path="\\", armed={"x": object()}
            )
        assert journal.failsafes(run_id) == []
