"""Journal records: written before the change, state moves, open changes, resume, lookups."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.commands import Command
from orchestrator.errors import InputError
from orchestrator.journal import (
    ChangeState,
    EventKind,
    Journal,
    JournalError,
    RunStatus,
    WindowStatus,
    file_digest,
    state_dir,
)

from .conftest import T0, FakeClock, start_run

UNDO = (Command.of("Disable-LocalUser", mutating=True, SID="S-1-5-21-1-501"),)


def _intent(
    journal: Journal, run_id: str, host: str = "cap1", index: int = 0, **extra: object
) -> int:
    return journal.record_intent(
        run_id,
        host=host,
        step=f"step {index}",
        step_index=index,
        module="local_user",
        args={"name": "Guest", "enabled": True},
        before={"enabled": False},
        after={"enabled": True},
        undo=UNDO,
        **extra,  # type: ignore[arg-type]
    )


def _committed_state(path: Path, change_id: int) -> str | None:
    """The change's state as another connection (another process) sees it."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT state FROM changes WHERE id = ?", (change_id,)).fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


def test_start_run_records_digests_identity_and_running(journal: Journal, tmp_path: Path) -> None:
    """A run starts as running with the digests of its files, the start time and who ran it."""
    run = start_run(journal, tmp_path)
    assert run.status is RunStatus.RUNNING
    assert run.started == T0
    assert run.playbook_digest == file_digest(tmp_path / "play.yml")
    assert run.playbook == str(tmp_path / "play.yml")
    assert run.pid > 0
    assert journal.run(run.id) == run


def test_intent_is_committed_before_record_intent_returns(journal: Journal, tmp_path: Path) -> None:
    """Another connection sees the intent as soon as record_intent returns, then applied after mark."""
    run = start_run(journal, tmp_path)
    change = _intent(journal, run.id)
    assert _committed_state(journal.path, change) == "intent"
    journal.mark(change, ChangeState.APPLIED)
    assert _committed_state(journal.path, change) == "applied"


def test_undo_commands_come_back_exactly(journal: Journal, tmp_path: Path) -> None:
    """The undo commands read back from the journal equal those recorded."""
    run = start_run(journal, tmp_path)
    _intent(journal, run.id)
    (change,) = journal.changes(run.id)
    assert change.undo == UNDO
    assert change.args == {"name": "Guest", "enabled": True}
    assert (change.before, change.after) == ({"enabled": False}, {"enabled": True})


def test_irreversible_change_has_no_undo(journal: Journal, tmp_path: Path) -> None:
    """A change recorded with undo=None reads back as irreversible (None), not as no commands."""
    run = start_run(journal, tmp_path)
    journal.record_intent(
        run.id, host="dc1", step="delete", step_index=2, module="ad_user",
        args={}, before={}, after={}, undo=None,
    )  # fmt: skip
    assert journal.changes(run.id)[0].undo is None


def test_mark_refuses_going_back_from_undone(journal: Journal, tmp_path: Path) -> None:
    """An undone change cannot become applied again, and an unknown change id is an error."""
    run = start_run(journal, tmp_path)
    change = _intent(journal, run.id)
    journal.mark(change, ChangeState.APPLIED)
    journal.mark(change, ChangeState.UNDONE)
    journal.mark(change, ChangeState.UNDONE)  # idempotent rollback
    with pytest.raises(JournalError, match="cannot go from undone to applied"):
        journal.mark(change, ChangeState.APPLIED)
    with pytest.raises(JournalError, match="no change 999"):
        journal.mark(999, ChangeState.APPLIED)
    assert _committed_state(journal.path, change) == "undone"


def test_open_changes_are_those_left_to_undo_in_order(journal: Journal, tmp_path: Path) -> None:
    """open_changes lists intent, applied and undo_failed changes in journal order, not undone ones."""
    run = start_run(journal, tmp_path)
    ids = [_intent(journal, run.id, host=f"cap{i}") for i in range(5)]
    journal.mark(ids[0], ChangeState.APPLIED)
    journal.mark(ids[1], ChangeState.UNDONE)
    journal.mark(ids[2], ChangeState.UNDO_FAILED, error="host unreachable")
    journal.mark(ids[3], ChangeState.FAILSAFE_FIRED)
    open_changes = journal.open_changes(run.id)
    assert [c.id for c in open_changes] == [ids[0], ids[2], ids[4]]
    assert [c.state for c in open_changes] == [
        ChangeState.APPLIED,
        ChangeState.UNDO_FAILED,
        ChangeState.INTENT,
    ]
    assert open_changes[1].error == "host unreachable"
    assert ids == sorted(ids)


def test_open_changes_belong_to_their_run(journal: Journal, tmp_path: Path) -> None:
    """Changes of another run are not listed."""
    first, second = start_run(journal, tmp_path), start_run(journal, tmp_path)
    _intent(journal, first.id)
    assert journal.open_changes(second.id) == []


def test_windows_open_close_and_what_is_still_open(
    journal: Journal, tmp_path: Path, clock: FakeClock
) -> None:
    """A window is open until closed; rollback_incomplete counts as open; the deadline is kept."""
    run = start_run(journal, tmp_path)
    deadline = T0 + timedelta(hours=2)
    first = journal.open_window(run.id, "guest-access", deadline, "target")
    second = journal.open_window(run.id, "second", deadline, "none")
    change = _intent(journal, run.id, window_id=first, failsafe_task="orchestrator-undo-1")
    clock.advance(minutes=5)
    journal.close_window(first, WindowStatus.CLOSING)
    journal.close_window(second, WindowStatus.CLOSED)
    (still,) = journal.open_windows(run.id)
    assert (still.id, still.status, still.deadline, still.closed) == (
        first,
        WindowStatus.CLOSING,
        deadline,
        None,
    )
    journal.close_window(first, WindowStatus.ROLLBACK_INCOMPLETE)
    assert journal.open_windows(run.id)[0].closed == T0 + timedelta(minutes=5)
    assert journal.changes(run.id)[0].window_id == first
    assert journal.changes(run.id)[0].failsafe_task == "orchestrator-undo-1"
    assert change > 0


def test_finished_steps_for_resume(journal: Journal, tmp_path: Path) -> None:
    """Finished: last result ok, changed, skipped or an ignored failure, or a change applied."""
    run = start_run(journal, tmp_path)

    def finished(host: str, index: int, status: str, **detail: object) -> None:
        journal.record_event(
            run.id, EventKind.HOST_STEP_FINISHED, host=host, step=f"s{index}",
            step_index=index, status=status, detail=detail,
        )  # fmt: skip

    finished("a", 0, "ok")
    finished("b", 0, "changed")
    finished("a", 1, "failed")
    finished("b", 1, "failed")
    finished("b", 1, "changed")  # resumed: the retry went through
    finished("a", 2, "skipped")
    finished("b", 2, "failed", ignored=True)
    finished("a", 3, "unreachable")
    journal.record_event(run.id, EventKind.HOST_STEP_STARTED, host="b", step="s3", step_index=3)
    died_after_apply = _intent(journal, run.id, host="c", index=3)
    journal.mark(died_after_apply, ChangeState.APPLIED)
    _intent(journal, run.id, host="d", index=3)  # died before applying: not finished
    assert journal.finished_steps(run.id) == {
        ("a", 0),
        ("b", 0),
        ("b", 1),
        ("a", 2),
        ("b", 2),
        ("c", 3),
    }


def test_finish_run_sets_status_and_end(journal: Journal, tmp_path: Path, clock: FakeClock) -> None:
    """finish_run stamps the end; reopen_run (resume) clears it; unknown runs are errors."""
    run = start_run(journal, tmp_path)
    clock.advance(minutes=3)
    journal.finish_run(run.id, RunStatus.ROLLBACK_INCOMPLETE)
    assert journal.run(run.id).ended == T0 + timedelta(minutes=3)
    journal.reopen_run(run.id)
    assert (journal.run(run.id).status, journal.run(run.id).ended) == (RunStatus.RUNNING, None)
    with pytest.raises(JournalError, match="no run 'nope'"):
        journal.finish_run("nope", RunStatus.FAILED)


def test_timeline_keeps_write_order_and_detail(journal: Journal, tmp_path: Path) -> None:
    """Events come back in the order written, with their fields and JSON detail."""
    run = start_run(journal, tmp_path)
    journal.record_event(
        run.id, EventKind.HOST_STEP_STARTED, host="h", step="s", step_index=0, attempt=1
    )
    journal.record_event(
        run.id, EventKind.HOST_STEP_FINISHED, host="h", step="s", step_index=0, attempt=2,
        status="failed", detail={"error_id": "AccessDenied", "error": "denied", "summary": ""},
    )  # fmt: skip
    events = journal.timeline(run.id)
    assert [e.kind for e in events] == [EventKind.HOST_STEP_STARTED, EventKind.HOST_STEP_FINISHED]
    assert events[1].detail["error_id"] == "AccessDenied"
    assert (events[1].attempt, events[1].status, events[1].step_index) == (2, "failed", 0)


def test_run_lookup_by_unique_prefix(journal: Journal, tmp_path: Path) -> None:
    """A unique prefix finds its run; an exact id wins even when it prefixes another."""
    for run_id in ("abc123", "abd456", "abc1234"):
        start_run(journal, tmp_path, run_id=run_id)
    assert journal.run("abd").id == "abd456"
    assert journal.run("abc123").id == "abc123"


def test_run_lookup_ambiguous_names_candidates(journal: Journal, tmp_path: Path) -> None:
    """An ambiguous prefix is an InputError naming every candidate."""
    for run_id in ("abc123", "abd456"):
        start_run(journal, tmp_path, run_id=run_id)
    with pytest.raises(InputError) as caught:
        journal.run("ab")
    message = str(caught.value)
    assert "ambiguous" in message
    assert "abc123" in message
    assert "abd456" in message


def test_run_lookup_unknown_suggests_recent_runs(journal: Journal, tmp_path: Path) -> None:
    """An unknown id is an InputError that lists the most recent runs; LIKE wildcards are literal."""
    start_run(journal, tmp_path, run_id="abc123")
    with pytest.raises(InputError, match=r"no run id starts with 'zz'.*most recent: abc123"):
        journal.run("zz")
    with pytest.raises(InputError, match="no run id starts with '%'"):
        journal.run("%")


def test_runs_newest_first_with_limit(journal: Journal, tmp_path: Path, clock: FakeClock) -> None:
    """runs() lists the newest runs first, at most `limit`."""
    for run_id in ("r1", "r2", "r3"):
        start_run(journal, tmp_path, run_id=run_id)
        clock.advance(seconds=1)
    assert [r.id for r in journal.runs(2)] == ["r3", "r2"]


def test_threads_share_one_journal(journal: Journal, tmp_path: Path) -> None:
    """Worker threads writing at once through one journal lose nothing and keep ids unique."""
    run = start_run(journal, tmp_path)

    def work(host: str) -> None:
        for index in range(20):
            change = _intent(journal, run.id, host=host, index=index)
            journal.mark(change, ChangeState.APPLIED)

    threads = [threading.Thread(target=work, args=(f"h{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    changes = journal.changes(run.id)
    assert len(changes) == 120
    assert len({c.id for c in changes}) == 120
    assert all(c.state is ChangeState.APPLIED for c in changes)


def test_naive_datetimes_are_refused(journal: Journal, tmp_path: Path) -> None:
    """A deadline without a timezone is refused: the journal keeps UTC only."""
    run = start_run(journal, tmp_path)
    with pytest.raises(ValueError, match="naive"):
        journal.open_window(run.id, "w", T0.replace(tzinfo=None), "target")


def test_state_dir_resolution(tmp_path: Path) -> None:
    """--state-dir wins over ORCHESTRATOR_STATE_DIR, which wins over ./.orchestrator."""
    env = {"ORCHESTRATOR_STATE_DIR": "from-env"}
    assert state_dir(Path("cli"), environ=env, cwd=tmp_path) == tmp_path / "cli"
    assert state_dir(None, environ=env, cwd=tmp_path) == tmp_path / "from-env"
    assert (
        state_dir(None, environ={"ORCHESTRATOR_STATE_DIR": ""}, cwd=tmp_path)
        == tmp_path / ".orchestrator"
    )
    assert state_dir(Path("/abs"), environ={}, cwd=tmp_path) == Path("/abs")


def test_journal_file_lives_in_the_state_dir(state: Path, journal: Journal) -> None:
    """The database is journal.sqlite3 inside the state directory given to open()."""
    assert journal.path == state / "journal.sqlite3"
    assert journal.path.is_file()


def test_public_api_is_pinned() -> None:
    """The package exports exactly its public API (a change to it is deliberate)."""
    import orchestrator.journal as package

    assert sorted(package.__all__) == sorted(
        [
            "STATE_DIR_ENV", "ChangeRecord", "ChangeState", "EventKind", "EventRecord",
            "FailsafeRecord", "FailsafeState", "Identity", "Journal", "JournalError",
            "JournalVersionError", "LockHeldError", "LockHolder", "LockLostError", "LockPurpose",
            "RunLock", "RunRecord", "RunStatus", "SecretInJournalError", "WindowRecord",
            "WindowStatus", "canonical_json", "current_holder", "decode_commands",
            "encode_commands", "file_digest", "journal_path", "new_run_id", "pid_alive",
            "state_dir",
        ]
    )  # fmt: skip
    assert all(hasattr(package, name) for name in package.__all__)
