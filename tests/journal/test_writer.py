"""The journal's writer thread: events are committed in groups, off the event bus, in order;
what must be durable before a change (an intent, an armed failsafe) still waits for its commit;
a failed write is never silent.

The writer is held at a gate (a database whose transactions wait for the test) instead of
being timed: every assertion is about what has or has not happened, never about how long.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestrator.commands import Command
from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.journal import ChangeState, EventKind, Journal, JournalError, journal_path
from orchestrator.journal.codec import to_text
from orchestrator.journal.db import Database
from orchestrator.journal.observer import JournalObserver
from orchestrator.logging import Redactor

from .conftest import T0, FakeClock, start_run

WAIT = 60.0  # a guard against a hang, never a measure: each wait returns at once when right


class GatedDatabase(Database):
    """A journal database whose transactions are counted, and held at a gate while it is shut."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        super().__init__(path, conn)
        self.transactions = 0
        self.gate = threading.Event()  # shut (clear): transactions wait
        self.gate.set()
        self.waiting = threading.Event()  # a transaction is held at the shut gate

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        if not self.gate.is_set():
            self.waiting.set()
            assert self.gate.wait(WAIT), "the test never opened the gate"
        with super().write() as conn:
            yield conn
        self.transactions += 1


@pytest.fixture
def gated(state: Path) -> Iterator[tuple[Journal, GatedDatabase]]:
    """A journal on a gated database (gate open), and the database."""
    db = GatedDatabase.open(journal_path(state), to_text(T0))
    assert isinstance(db, GatedDatabase)
    journal = Journal(db, redactor=Redactor(), clock=FakeClock())
    yield journal, db
    db.gate.set()
    journal.close()


def _hold(db: GatedDatabase, journal: Journal, run_id: str) -> None:
    """Shut the gate and queue one event: the writer takes it and waits at the gate."""
    db.gate.clear()
    db.waiting.clear()
    journal.queue_event(run_id, EventKind.NOTE, detail={"summary": "held"})
    assert db.waiting.wait(WAIT)


def _others(path: Path, sql: str) -> list[tuple[object, ...]]:
    """What another connection reads: only what is committed."""
    with sqlite3.connect(path) as conn:
        return [tuple(row) for row in conn.execute(sql)]


def _summaries(journal: Journal, run_id: str) -> list[str]:
    return [str(e.detail.get("summary", e.kind)) for e in journal.timeline(run_id)]


def test_emit_returns_while_the_journal_writer_is_blocked(
    gated: tuple[Journal, GatedDatabase], tmp_path: Path
) -> None:
    """With the writer stuck in a transaction, every emit still returns and the other observers
    get every event; the journal writes them all once the writer moves, in emit order."""
    journal, db = gated
    run = start_run(journal, tmp_path)
    seen: list[ev.Event] = []
    bus = ev.EventBus([seen.append, JournalObserver(journal, run.id)])
    _hold(db, journal, run.id)
    for host in ("a", "b", "c", "d"):
        bus.emit(ev.HostStepStarted("Enable Guest", host, 1))
    assert len(seen) == 4  # emit returned four times: no observer waited for the disk
    assert not db.gate.is_set()  # and the writer is still held in its first transaction
    assert _others(journal.path, "SELECT count(*) FROM events") == [(0,)]
    db.gate.set()
    journal.flush()
    timeline = journal.timeline(run.id)
    assert [(e.kind, e.host) for e in timeline] == [
        (EventKind.NOTE, ""),
        *((EventKind.HOST_STEP_STARTED, host) for host in "abcd"),
    ]


def test_events_are_committed_in_groups(
    gated: tuple[Journal, GatedDatabase], tmp_path: Path
) -> None:
    """Events queued while a commit is under way share the next transaction: 101 events, two
    transactions (one before the gate opened, one for the hundred that queued meanwhile)."""
    journal, db = gated
    run = start_run(journal, tmp_path)
    bus = ev.EventBus([JournalObserver(journal, run.id)])
    _hold(db, journal, run.id)
    before = db.transactions
    for n in range(100):
        bus.emit(ev.HostStepStarted("step", f"h{n:03d}", 1))
    db.gate.set()
    journal.flush()
    assert db.transactions - before == 2
    assert [e.host for e in journal.timeline(run.id)][1:] == [f"h{n:03d}" for n in range(100)]


def test_concurrent_emitters_journal_in_the_order_observers_saw(
    journal: Journal, tmp_path: Path
) -> None:
    """Many threads emitting at once: the journal's timeline is in exactly the order the
    other observers got the events (one order for everyone)."""
    run = start_run(journal, tmp_path)
    seen: list[tuple[str, int]] = []

    def record(event: ev.Event) -> None:
        if isinstance(event, ev.HostStepStarted):
            seen.append((event.host, event.attempt))

    bus = ev.EventBus([record, JournalObserver(journal, run.id)])

    def emitter(host: str) -> None:
        for attempt in range(1, 51):
            bus.emit(ev.HostStepStarted("step", host, attempt))

    threads = [threading.Thread(target=emitter, args=(f"h{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.flush()
    assert [(e.host, e.attempt) for e in journal.timeline(run.id)] == seen
    assert len(seen) == 8 * 50


def test_an_intent_waits_until_it_and_the_events_before_it_are_committed(
    gated: tuple[Journal, GatedDatabase], tmp_path: Path
) -> None:
    """record_intent does not return before its group is committed; once it has, another
    connection reads the intent and every event queued before it (nothing skipped the queue)."""
    journal, db = gated
    run = start_run(journal, tmp_path)
    _hold(db, journal, run.id)
    journal.queue_event(run.id, EventKind.HOST_STEP_STARTED, host="cap1", step="Enable Guest")
    returned = threading.Event()
    ids: list[int] = []

    def intend() -> None:
        change_id = journal.record_intent(
            run.id, host="cap1", step="Enable Guest", step_index=0, module="local_user",
            args={"enabled": True}, before={"enabled": False}, after={"enabled": True},
            undo=[Command("Disable-LocalUser", (("SID", "S-1-5-21-1-501"),), True)],
        )  # fmt: skip
        ids.append(change_id)
        returned.set()

    thread = threading.Thread(target=intend)
    thread.start()
    assert not returned.is_set()  # held: its group cannot have been committed
    assert _others(journal.path, "SELECT count(*) FROM changes") == [(0,)]
    db.gate.set()
    thread.join()
    assert _others(journal.path, "SELECT id, host, state FROM changes") == [
        (ids[0], "cap1", "intent")
    ]
    assert _others(journal.path, "SELECT kind, host FROM events ORDER BY id") == [
        ("note", ""),
        ("host_step_started", "cap1"),
    ]


def test_a_refused_write_in_a_group_leaves_its_neighbours_written(
    journal: Journal, tmp_path: Path
) -> None:
    """A write refused on its merits (a change moved backwards) raises to its caller; the events
    queued around it in the same group are written all the same, and the writer carries on."""
    run = start_run(journal, tmp_path)
    change = journal.record_intent(
        run.id, host="a", step="s", step_index=0, module="m", args={}, before={}, after={},
        undo=None,
    )  # fmt: skip
    journal.mark(change, ChangeState.APPLIED)
    journal.mark(change, ChangeState.UNDONE)
    journal.queue_event(run.id, EventKind.NOTE, detail={"summary": "before"})
    with pytest.raises(JournalError, match="cannot go from undone to applied"):
        journal.mark(change, ChangeState.APPLIED)
    journal.queue_event(run.id, EventKind.NOTE, detail={"summary": "after"})
    journal.flush()
    assert _summaries(journal, run.id) == ["before", "after"]
    assert journal.changes(run.id)[0].state is ChangeState.UNDONE


def _fill_up(journal: Journal) -> None:
    """Cap the database at its current size: the next pages written fail (SQLITE_FULL), as on
    a full disk."""
    with journal.database.write() as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_surfaces_at_the_next_event_and_when_the_run_finishes(
    journal: Journal, tmp_path: Path
) -> None:
    """Events the writer could not commit are not dropped in silence: the next emit raises
    JournalError (as when each event was committed in place), and so does finishing the run."""
    run = start_run(journal, tmp_path)
    bus = ev.EventBus([JournalObserver(journal, run.id)])
    _fill_up(journal)
    big = {"padding": "x" * 200_000}
    bus.emit(ev.HostStepFinished("s", "a", Status.CHANGED, before=big, after=big))
    with pytest.raises(JournalError, match="full"):
        journal.finish_run(run.id, journal.run(run.id).status)
    with pytest.raises(JournalError, match="an earlier write failed"):
        bus.emit(ev.HostStepStarted("s", "b", 1))
    with pytest.raises(JournalError, match="an earlier write failed"):
        journal.record_intent(
            run.id, host="b", step="s", step_index=0, module="m", args={}, before={}, after={},
            undo=None,
        )  # fmt: skip


def test_a_failure_nobody_heard_of_is_raised_by_close(state: Path, tmp_path: Path) -> None:
    """Events queued and then lost to a full disk, with no write waited for afterwards: closing
    the journal raises the failure rather than letting the records vanish."""
    journal = Journal.open(state)
    run = start_run(journal, tmp_path)
    _fill_up(journal)
    journal.queue_event(run.id, EventKind.NOTE, detail={"summary": "x" * 200_000})
    with pytest.raises(JournalError, match="full"):
        journal.close()
    with pytest.raises(JournalError):  # closed, after a failure: nothing more is written
        journal.queue_event(run.id, EventKind.NOTE)
