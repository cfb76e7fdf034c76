"""The crash-safe journal of runs, events, windows and changes (see db.py for the how).

Every record is committed before the change it describes: `record_intent` returns only once
the intent and its undo are durable, then the caller arms the failsafe, applies, and
`mark`s the change applied. A crash at any point leaves enough to finish the job.

Writes go through the database's one writer thread (writer.py), which commits them in groups:
every method here waits for its group's commit, except `queue_event` (the event bus's hot
path), whose events reach the disk with the next group, in order, and at the latest before the
next write that waits returns. Reads see every write asked for before them.

No secret is ever written: Secrets and registered secret values are redacted from args,
diffs and event details, and refused in undo commands (which must stay exact).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from orchestrator.commands import Command
from orchestrator.journal import queries, schema
from orchestrator.journal.codec import dump_json, encode_commands, exact_json, to_text
from orchestrator.journal.db import Database
from orchestrator.journal.errors import JournalError, SecretInJournalError
from orchestrator.journal.identity import Identity, new_run_id
from orchestrator.journal.paths import journal_path
from orchestrator.journal.records import (
    CHANGE_TRANSITIONS,
    ChangeRecord,
    ChangeState,
    EventKind,
    EventRecord,
    FailsafeRecord,
    FailsafeState,
    RunRecord,
    RunStatus,
    WindowRecord,
    WindowStatus,
)
from orchestrator.logging import Redactor

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise JournalError(f"cannot read {path} to digest it: {exc.strerror}") from exc


class Journal:
    """The journal in a state directory. Open one per process and share it between threads."""

    def __init__(self, db: Database, *, redactor: Redactor, clock: Clock) -> None:
        self.database = db
        self.redactor = redactor
        self.clock = clock

    @classmethod
    def open(
        cls,
        state_dir: Path,
        *,
        redactor: Redactor | None = None,
        clock: Clock = utc_now,
        migrations: Sequence[schema.Migration] = schema.MIGRATIONS,
    ) -> Journal:
        """Open (create, migrate) `state_dir/journal.sqlite3`; `redactor`'s secrets are scrubbed."""
        db = Database.open(journal_path(state_dir), to_text(clock()), migrations)
        return cls(db, redactor=redactor or Redactor(), clock=clock)

    @property
    def path(self) -> Path:
        """The database file."""
        return self.database.path

    def close(self) -> None:
        """Close the database connection."""
        self.database.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _now(self) -> str:
        return to_text(self.clock())

    def _json(self, value: Any) -> str:
        return dump_json(value, self.redactor)

    def _text(self, value: str) -> str:
        return self.redactor.scrub(value)

    # --- runs ------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        playbook: Path,
        inventory: Path,
        vars_json: str,
        domain_key: str,
        run_id: str | None = None,
        identity: Identity | None = None,
    ) -> RunRecord:
        """Record a new run (status running); digests are taken of the files as they are now.

        vars_json: canonical JSON of the -e values without secret values (see canonical_json);
        SecretInJournalError if a registered secret value is in it (even its digest would let
        a short password be guessed offline).
        """
        if self._text(vars_json) != vars_json:
            raise SecretInJournalError("the variables given to start_run hold a secret value")
        who = identity or Identity.current()
        record = RunRecord(
            id=run_id or new_run_id(),
            playbook=self._text(str(playbook.absolute())),
            playbook_digest=file_digest(playbook),
            inventory=self._text(str(inventory.absolute())),
            inventory_digest=file_digest(inventory),
            vars_digest=hashlib.sha256(vars_json.encode()).hexdigest(),
            domain_key=self._text(domain_key),
            user=who.user,
            machine=who.machine,
            pid=who.pid,
            started=self.clock(),
            ended=None,
            status=RunStatus.RUNNING,
        )
        row = (
            record.id, record.playbook, record.playbook_digest, record.inventory,
            record.inventory_digest, record.vars_digest, record.domain_key, record.user,
            record.machine, record.pid, to_text(record.started), record.status.value,
        )  # fmt: skip
        self.database.submit(
            _updating("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)", row)
        )
        return record

    def finish_run(self, run_id: str, status: RunStatus) -> None:
        """Set a run's final status and end time (again later, e.g. after a rollback)."""
        ended = None if status is RunStatus.RUNNING else self._now()
        updated = self.database.submit(
            _updating(
                "UPDATE runs SET status = ?, ended = ? WHERE id = ?", (status.value, ended, run_id)
            )
        )
        if updated != 1:
            raise JournalError(f"no run {run_id!r} in the journal")

    def reopen_run(self, run_id: str) -> None:
        """Mark a run running again (resume, rollback): its end time is cleared."""
        self.finish_run(run_id, RunStatus.RUNNING)

    # --- events ----------------------------------------------------------------------------

    def record_event(
        self,
        run_id: str,
        kind: EventKind,
        *,
        host: str = "",
        step: str = "",
        step_index: int | None = None,
        attempt: int = 0,
        status: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append an event to a run's timeline, committed (durably) before this returns; detail
        (summary, error_id, error) is redacted. Returns the event's id."""
        row = self._event_row(run_id, kind, host, step, step_index, attempt, status, detail)
        return self.database.submit(_inserting(_INSERT_EVENT, row))

    def queue_event(
        self,
        run_id: str,
        kind: EventKind,
        *,
        host: str = "",
        step: str = "",
        step_index: int | None = None,
        attempt: int = 0,
        status: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """`record_event` without waiting for the disk (the event bus's hot path): committed in
        order with the next group, at the latest by the next write that waits (an intent), a
        `flush` or `close`. JournalError here if an earlier write failed."""
        row = self._event_row(run_id, kind, host, step, step_index, attempt, status, detail)
        self.database.post(lambda conn: conn.execute(_INSERT_EVENT, row))

    def _event_row(  # noqa: PLR0917 -- one column each
        self,
        run_id: str,
        kind: EventKind,
        host: str,
        step: str,
        step_index: int | None,
        attempt: int,
        status: str,
        detail: Mapping[str, Any] | None,
    ) -> tuple[Any, ...]:
        """An events row, its texts redacted."""
        return (run_id, self._now(), kind.value, self._text(host), self._text(step), step_index,
                attempt, self._text(status), self._json(detail or {}))  # fmt: skip

    def flush(self) -> None:
        """Wait until every queued event is committed; JournalError if one could not be."""
        self.database.flush()

    # --- windows ---------------------------------------------------------------------------

    def open_window(self, run_id: str, name: str, deadline: datetime, failsafe: str) -> int:
        """Record a window as open (before its first change); returns its id."""
        row = (run_id, self._text(name), to_text(deadline), self._text(failsafe), self._now(),
               WindowStatus.OPEN.value)  # fmt: skip
        return self.database.submit(
            _inserting(
                "INSERT INTO windows (run_id, name, deadline, failsafe, opened, status)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
        )

    def close_window(self, window_id: int, status: WindowStatus) -> None:
        """Set a window's status; closed and rollback_incomplete also stamp the close time."""
        closed = None if status in (WindowStatus.OPEN, WindowStatus.CLOSING) else self._now()
        updated = self.database.submit(
            _updating(
                "UPDATE windows SET status = ?, closed = ? WHERE id = ?",
                (status.value, closed, window_id),
            )
        )
        if updated != 1:
            raise JournalError(f"no window {window_id} in the journal")

    # --- changes ---------------------------------------------------------------------------

    def record_intent(
        self,
        run_id: str,
        *,
        host: str,
        step: str,
        step_index: int,
        module: str,
        args: Mapping[str, Any],
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        undo: Sequence[Command] | None,
        window_id: int | None = None,
        failsafe_task: str | None = None,
        failsafe_path: str | None = None,
    ) -> int:
        """Durably record a change about to be made, with its undo (None: irreversible).

        Returns the change id (ids grow monotonically: reverse id order is undo order).
        """
        undo_json = None if undo is None else encode_commands(undo, self.redactor)
        now = self._now()
        row = (
            run_id, window_id, self._text(host), self._text(step), step_index,
            self._text(module), self._json(args), self._json(before), self._json(after),
            undo_json, failsafe_task and self._text(failsafe_task),
            failsafe_path and self._text(failsafe_path), ChangeState.INTENT.value, now, now,
        )  # fmt: skip
        # waits for its group's commit: the intent (and every event before it) is on disk
        return self.database.submit(_inserting(_INSERT_CHANGE, row))

    def attach_failsafe(self, change_id: int, task: str, path: str) -> None:
        """Name the failsafe task that undoes a change (when it is known only after the intent)."""
        row = (self._text(task), self._text(path), self._now(), change_id)
        self.database.submit(
            _updating(
                "UPDATE changes SET failsafe_task = ?, failsafe_path = ?, updated = ? WHERE id = ?",
                row,
            )
        )

    def mark(self, change_id: int, state: ChangeState, *, error: str = "") -> None:
        """Move a change to `state` (committed before returning); JournalError for a move
        CHANGE_TRANSITIONS does not allow, e.g. undone back to applied."""
        row = (state.value, self._text(error), self._now(), change_id)

        def write(conn: sqlite3.Connection) -> None:
            current = queries.change_state(conn, change_id)
            if current is None:
                raise JournalError(f"no change {change_id} in the journal")
            if state not in CHANGE_TRANSITIONS[current]:
                raise JournalError(f"change {change_id} cannot go from {current} to {state}")
            conn.execute("UPDATE changes SET state = ?, error = ?, updated = ? WHERE id = ?", row)

        self.database.submit(write)

    # --- failsafes -------------------------------------------------------------------------

    def record_failsafe(
        self, window_id: int, host: str, *, task_name: str, task_path: str, armed: Mapping[str, Any]
    ) -> int:
        """Record (or replace, when re-armed) the failsafe armed on a host for a window, and
        name it on that host's changes in the window. `armed` is kept exactly: a secret in it
        is refused. Returns the failsafe's id."""
        exact_json([host, task_name, task_path], self.redactor, f"the failsafe task of {host}")
        armed_json = exact_json(armed, self.redactor, f"the failsafe of {host}")
        now = self._now()

        def write(conn: sqlite3.Connection) -> int:
            run_id = queries.window_run(conn, window_id)
            conn.execute(
                "INSERT INTO failsafes (run_id, window_id, host, task_name, task_path, armed,"
                " state, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (window_id, host) DO UPDATE SET task_name = excluded.task_name,"
                " task_path = excluded.task_path, armed = excluded.armed, state = excluded.state,"
                " fired = NULL, updated = excluded.updated",
                (run_id, window_id, host, task_name, task_path, armed_json,
                 FailsafeState.ARMED.value, now, now),
            )  # fmt: skip
            failsafe_id = queries.failsafe_id(conn, window_id, host)  # no RETURNING: SQLite < 3.35
            conn.execute(
                "UPDATE changes SET failsafe_task = ?, failsafe_path = ?, updated = ?"
                " WHERE window_id = ? AND host = ?",
                (task_name, task_path, now, window_id, host),
            )
            return failsafe_id

        # waits for its group's commit: the armed failsafe is on disk before the change is made
        return self.database.submit(write)

    def mark_failsafe(
        self, window_id: int, host: str, state: FailsafeState, *, fired: datetime | None = None
    ) -> None:
        """A host's failsafe for a window was disarmed, or found fired (at `fired`)."""
        fired_text = None if fired is None else to_text(fired)
        row = (state.value, fired_text, self._now(), window_id, host)
        updated = self.database.submit(
            _updating(
                "UPDATE failsafes SET state = ?, fired = ?, updated = ?"
                " WHERE window_id = ? AND host = ?",
                row,
            )
        )
        if updated != 1:
            raise JournalError(f"no failsafe of {host} in window {window_id}")

    # --- reading ---------------------------------------------------------------------------

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The most recent runs, newest first."""
        with self.database.read() as conn:
            return queries.runs(conn, limit)

    def run(self, run_id_or_prefix: str) -> RunRecord:
        """A run by id or unique prefix; InputError naming the candidates otherwise."""
        with self.database.read() as conn:
            return queries.run_by_prefix(conn, run_id_or_prefix)

    def timeline(self, run_id: str) -> list[EventRecord]:
        """A run's events in order."""
        with self.database.read() as conn:
            return queries.timeline(conn, run_id)

    def windows(self, run_id: str) -> list[WindowRecord]:
        """All of a run's windows, in opening order."""
        with self.database.read() as conn:
            return queries.windows(conn, run_id, open_only=False)

    def open_windows(self, run_id: str) -> list[WindowRecord]:
        """A run's windows not yet closed (open, closing or rollback_incomplete)."""
        with self.database.read() as conn:
            return queries.windows(conn, run_id, open_only=True)

    def changes(self, run_id: str) -> list[ChangeRecord]:
        """All of a run's changes, in journal order."""
        with self.database.read() as conn:
            return queries.changes(conn, run_id, open_only=False)

    def open_changes(self, run_id: str) -> list[ChangeRecord]:
        """Changes still to undo (intent, applied, undo_failed), in journal order."""
        with self.database.read() as conn:
            return queries.changes(conn, run_id, open_only=True)

    def failsafes(self, run_id: str) -> list[FailsafeRecord]:
        """Every failsafe armed in a run, in arming order."""
        with self.database.read() as conn:
            return queries.failsafes(conn, run_id, armed_only=False)

    def armed_failsafes(self, run_id: str) -> list[FailsafeRecord]:
        """The failsafes of a run still armed (not disarmed, not found fired)."""
        with self.database.read() as conn:
            return queries.failsafes(conn, run_id, armed_only=True)

    def runs_left_open(self, domain_key: str) -> list[RunRecord]:
        """The domain's runs that left something to undo (a change, an armed failsafe)."""
        with self.database.read() as conn:
            return queries.runs_left_open(conn, domain_key)

    def finished_steps(self, run_id: str) -> set[tuple[str, int]]:
        """(host, step_index) pairs finished in a run, for `resume` (see queries.finished_steps)."""
        with self.database.read() as conn:
            return queries.finished_steps(conn, run_id)


_INSERT_EVENT = (
    "INSERT INTO events (run_id, at, kind, host, step, step_index, attempt, status, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHANGE = (
    "INSERT INTO changes (run_id, window_id, host, step, step_index, module, args, before, after,"
    " undo, failsafe_task, failsafe_path, state, created, updated)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _inserting(sql: str, row: tuple[Any, ...]) -> Callable[[sqlite3.Connection], int]:
    """A write that inserts one row; its result is the row's id."""
    return lambda conn: _rowid(conn.execute(sql, row).lastrowid)


def _updating(sql: str, row: tuple[Any, ...]) -> Callable[[sqlite3.Connection], int]:
    """A write of one statement; its result is how many rows it changed."""
    return lambda conn: conn.execute(sql, row).rowcount


def _rowid(value: int | None) -> int:
    assert value is not None  # an INSERT always sets lastrowid
    return value
