"""One SQLite connection per journal, shared under a lock (the journal's writer thread, see
writer.py, readers, the run lock's heartbeat).

Crash safety comes from SQLite itself: WAL with synchronous=FULL makes each COMMIT durable
before it returns, and a process killed mid-transaction leaves only an uncommitted WAL tail
that the next opener ignores. Every write is one short `BEGIN IMMEDIATE` transaction: the
write lock is taken up front, so two processes never deadlock upgrading a read lock, and
busy_timeout makes the second one wait instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import tenacity

from orchestrator.journal import schema
from orchestrator.journal.errors import JournalError
from orchestrator.journal.writer import Write, Writer

BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")


class Database:
    """A journal database file, open. The journal writes through its writer thread (`submit`
    waits for the commit, `post` does not); `read()` sees every write asked for before it;
    `write()` is one transaction at once, outside the writer's order (the run lock's rows)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()
        self._writer = Writer(self)

    def submit(self, write: Write[T]) -> T:
        """Queue a write and wait until its group is committed (durable); its result."""
        return self._writer.submit(write)

    def post(self, write: Write[Any]) -> None:
        """Queue a write, not waiting for it (committed with its group, in order)."""
        self._writer.post(write)

    def flush(self) -> None:
        """Wait until every queued write is committed; JournalError if one failed."""
        self._writer.flush()

    @classmethod
    def open(
        cls, path: Path, applied_at: str, migrations: Sequence[schema.Migration] = schema.MIGRATIONS
    ) -> Database:
        """Open (creating if needed) and migrate; JournalVersionError for a newer database."""
        _create_private(path)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {path}: {exc}") from exc
        db = cls(path, conn)
        try:
            db._prepare(applied_at, migrations)
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self, applied_at: str, migrations: Sequence[schema.Migration]) -> None:
        known = max((m.version for m in migrations), default=0)
        with self._guard("open") as conn:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # refuse a newer database before anything (even the WAL switch) writes to it
            schema.refuse_newer(schema.current_version(conn), known, str(self.path))
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.row_factory = sqlite3.Row
        with self.write() as conn:
            version = schema.current_version(conn)  # again: another process may have migrated
            schema.refuse_newer(version, known, str(self.path))
            for migration in schema.pending(version, migrations):
                schema.apply(conn, migration, applied_at)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction, committed (durably) on success, rolled back otherwise."""
        with self._guard("write") as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT (busy, disk full) leaves it open
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot across several queries, taken once the
        writes queued before it are written."""
        self._writer.drain()
        with self._guard("read") as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    @contextmanager
    def _guard(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise JournalError(f"journal {self.path} is closed")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise JournalError(f"journal {self.path}: {action} failed: {exc}") from exc

    def close(self) -> None:
        """Write what is queued, then close the connection (SQLite checkpoints the WAL when the
        last one closes); JournalError for a queued write that failed and nobody heard of."""
        try:
            self._writer.close()
        finally:
            self._close_connection()

    def _close_connection(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """PRAGMA journal_mode = WAL, waiting out other openers: SQLite answers "database is
    locked" at once, without its busy handler, while another connection holds a lock during
    the switch (several processes opening a new journal together)."""
    for attempt in tenacity.Retrying(
        stop=tenacity.stop_after_delay(BUSY_TIMEOUT_MS / 1000),
        wait=tenacity.wait_random(0.01, 0.1),
        retry=tenacity.retry_if_exception(
            lambda e: isinstance(e, sqlite3.OperationalError) and "locked" in str(e)
        ),
        reraise=True,
    ):
        with attempt:
            conn.execute("PRAGMA journal_mode = WAL")


def _create_private(path: Path) -> None:
    """The state directory (0700) and an empty database file (0600): the journal names hosts,
    accounts and what was changed on them, which is nobody else's business."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise JournalError(f"cannot create journal {path}: {exc.strerror}") from exc
