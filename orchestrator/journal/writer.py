"""The journal's one writer: a thread that commits queued writes in groups (group commit).

Every write is a function of the connection, queued in the order it was asked for. The writer
takes whatever is queued, runs it all in ONE `BEGIN IMMEDIATE` transaction (each write in its
own savepoint, so a write refused on its merits, e.g. a forbidden state move, undoes only
itself), commits once (one fsync for the whole group), and only then wakes the callers waiting
for their writes. At 200 hosts, one commit per event made every worker queue behind the disk
(issue 13, item 3); now an event costs a queue append, and a sync is shared by all that came
before it.

Two ways in:
- `post(write)`: queued, not waited for (events: the hot path). It is committed with the next
  group; whoever waits next (`submit`, `flush`, `close`) waits for it too, in order.
- `submit(write)`: queued, then waits until its group is committed and returns its result.
  Everything queued before it is committed in the same or an earlier group, so a durable
  intent also means every event before it is durable.

A failure of the writer (disk full, a locked or corrupt database, a record refused) is sticky
and never silent: the group's waiters get it, every later `post`/`submit`/`flush` raises it,
and `close` raises it when no caller has heard of it yet (records queued but not written).
"""

from __future__ import annotations

import collections
import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from orchestrator.journal.errors import JournalError

if TYPE_CHECKING:
    from orchestrator.journal.db import Database

T = TypeVar("T")
Write = Callable[[sqlite3.Connection], T]
MAX_GROUP = 1000  # writes per transaction: bounds how long a reader waits for the connection


class _Item(Generic[T]):
    """One queued write and, once its group is committed, its result or error."""

    def __init__(self, write: Write[T], *, waited: bool) -> None:
        self.write = write
        self.waited = waited
        self.value: T | None = None
        self.error: JournalError | None = None
        self.done = threading.Event()

    def result(self) -> T:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # set before done when no error


class Writer:
    """Commits a journal's writes on one thread, in groups; see the module's docstring."""

    def __init__(self, db: Database, *, max_group: int = MAX_GROUP) -> None:
        self._db = db
        self._max_group = max_group
        self._pending: collections.deque[_Item[Any]] = collections.deque()
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._failure: JournalError | None = None
        self._reported = False  # a caller was told of the failure

    # --- callers ---------------------------------------------------------------------------

    def post(self, write: Write[Any]) -> None:
        """Queue a write without waiting for it; JournalError if the writer already failed."""
        self._enqueue(_Item(write, waited=False))

    def submit(self, write: Write[T]) -> T:
        """Queue a write and wait until it is committed (durably): its result, or its error."""
        item = _Item(write, waited=True)
        self._enqueue(item)
        try:
            return item.result()
        except JournalError:
            self._reported = True
            raise

    def flush(self) -> None:
        """Wait until everything queued so far is committed; JournalError if any of it failed."""
        self.submit(_nothing)

    def drain(self) -> None:
        """Wait until everything queued so far is written (a read then sees it); raises
        nothing: a failure is the writers' to hear. Never waits for later writes."""
        item = _Item(_nothing, waited=True)
        with self._cond:
            if self._thread is None or self._closing or self._failure is not None:
                return  # nothing queued, or nothing more will be written
            self._pending.append(item)
            self._cond.notify_all()
        item.done.wait()

    def close(self) -> None:
        """Write what is queued, stop the thread; JournalError for a failure nobody heard of."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        if self._failure is not None and not self._reported:
            self._reported = True
            raise self._failure

    def _enqueue(self, item: _Item[Any]) -> None:
        with self._cond:
            self._raise_failure()
            if self._closing:
                raise JournalError(f"journal {self._db.path} is closed")
            self._pending.append(item)
            if self._thread is None:  # started on first use: in the process that writes
                self._thread = threading.Thread(
                    target=self._run, name="journal-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            self._reported = True
            raise JournalError(
                f"an earlier write failed, nothing more is written: {self._failure}"
            ) from self._failure

    # --- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closing)
                if not self._pending:
                    return  # closing, and everything is written
                count = min(len(self._pending), self._max_group)
                group = [self._pending.popleft() for _ in range(count)]
            self._commit(group)

    def _commit(self, group: list[_Item[Any]]) -> None:
        """Write the group in one transaction, then wake its waiters (never before the commit)."""
        if self._failure is not None:  # an earlier group failed: nothing more is written
            for item in group:
                item.error = self._failure
        elif all(item.write is _nothing for item in group):
            pass  # only barriers: every group before them is committed already
        else:
            try:
                with self._db.write() as conn:
                    for item in group:
                        self._one(conn, item)
            except Exception as exc:  # noqa: BLE001 -- whatever it is, every waiter must hear it
                error = (
                    exc
                    if isinstance(exc, JournalError)
                    else JournalError(f"journal {self._db.path}: the writer failed: {exc!r}")
                )
                self._fail(error)  # rolled back: none of the group is written
                for item in group:
                    item.error = error
        for item in group:
            if item.error is not None and not item.waited:
                self._fail(item.error)  # a record nobody waits for was lost: say so later
            item.done.set()

    def _one(self, conn: sqlite3.Connection, item: _Item[Any]) -> None:
        """One write in its own savepoint: refused (a forbidden move, a constraint), it undoes
        itself and the group goes on; an error that ended the transaction (SQLite rolls back by
        itself on a full disk or an I/O error) fails the whole group."""
        conn.execute("SAVEPOINT one")
        try:
            item.value = item.write(conn)
        except Exception as exc:  # the write's own failure goes to its caller
            if not conn.in_transaction:  # SQLite rolled it all back (disk full, I/O error)
                raise
            conn.execute("ROLLBACK TO one")
            item.error = (
                exc
                if isinstance(exc, JournalError)
                else JournalError(f"journal {self._db.path}: a write was refused: {exc}")
            )
        conn.execute("RELEASE one")

    def _fail(self, error: JournalError) -> None:
        with self._cond:
            if self._failure is None:
                self._failure = error


def _nothing(_conn: sqlite3.Connection) -> None:
    """A barrier: writes nothing; waiting for it waits for everything queued before it."""
