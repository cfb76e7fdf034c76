"""The run lock: one run, resume or rollback per domain at a time.

The lock is a row of the journal's `locks` table, taken and changed only inside
`BEGIN IMMEDIATE` transactions: SQLite's write lock makes check-then-take atomic across
processes, with nothing else to install or clean up. (A lock file with flock would free itself
when its holder dies, but would lose the holder's details and window deadline that the refusal
must show, and flock is unreliable on network filesystems anyway; so is SQLite, so keep the
state dir local.)

A holder is live while its lease runs (renewed by a heartbeat thread) and, on the same machine,
its process exists. A stale lock is still refused, and named as stale, unless the caller
breaks it (`--break-lock`) or is the `rollback`/`resume` of the very run that held it: that
run's own recovery takes over its lock.
"""

from __future__ import annotations

import enum
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from orchestrator.errors import OrchestratorError
from orchestrator.journal.codec import from_text, human, maybe_time, to_text
from orchestrator.journal.errors import JournalError
from orchestrator.journal.identity import Identity, pid_alive
from orchestrator.journal.journal import Journal

LEASE = timedelta(seconds=30)
HEARTBEAT = timedelta(seconds=5)
log = structlog.get_logger(__name__)


class LockPurpose(enum.StrEnum):
    """What the holder is doing."""

    RUN = "run"
    RESUME = "resume"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class LockHolder:
    """Who holds a domain's run lock, since when, and until when they must renew it."""

    domain_key: str
    run_id: str
    purpose: LockPurpose
    user: str
    machine: str
    pid: int
    since: datetime
    deadline: datetime | None
    lease_expires: datetime
    token: str = field(repr=False, default="")

    def describe(self) -> str:
        """The holder in one line, as a refusal names it."""
        deadline = f", window deadline {human(self.deadline)}" if self.deadline else ""
        return (
            f"run {self.run_id} ({self.purpose}) of {self.user}@{self.machine}, pid {self.pid},"
            f" since {human(self.since)}{deadline}"
        )


class LockHeldError(OrchestratorError):
    """The domain's run lock is held by someone else (stale_reason says why it may be stale)."""

    def __init__(self, holder: LockHolder, stale_reason: str | None) -> None:
        self.holder = holder
        self.stale_reason = stale_reason
        super().__init__(_refusal(holder, stale_reason))


class LockLostError(OrchestratorError):
    """Our lock was broken by someone else, or is gone."""


def _refusal(holder: LockHolder, stale_reason: str | None) -> str:
    head = f"domain {holder.domain_key!r} is locked by {holder.describe()}"
    if stale_reason is None:
        return f"{head}; its lease runs until {human(holder.lease_expires)}"
    return (
        f"{head}; the lock is stale ({stale_reason}): if nothing is working on this domain,"
        f" break it with --break-lock, or recover that run with"
        f" `orchestrator rollback {holder.run_id}` or `resume {holder.run_id}`"
    )


def stale_reason(
    holder: LockHolder, now: datetime, machine: str, alive: Callable[[int], bool]
) -> str | None:
    """Why a holder is gone, or None when it is live."""
    if holder.machine == machine and not alive(holder.pid):
        return f"process {holder.pid} no longer exists on {machine}"
    if holder.lease_expires <= now:
        return f"its lease expired at {human(holder.lease_expires)}, no heartbeat since"
    return None


class RunLock:
    """The run lock of one domain, for one run id: acquire, renew, set_deadline, release."""

    def __init__(
        self,
        journal: Journal,
        domain_key: str,
        *,
        run_id: str,
        purpose: LockPurpose = LockPurpose.RUN,
        identity: Identity | None = None,
        lease: timedelta = LEASE,
        heartbeat: timedelta = HEARTBEAT,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.journal = journal
        self.domain_key = domain_key
        self.run_id = run_id
        self.purpose = purpose
        self.identity = identity or Identity.current()
        self.lease = lease
        self.heartbeat = heartbeat
        self.alive = alive
        self.taken_over: LockHolder | None = None
        self._token = ""
        self._lost = threading.Event()

    @property
    def lost(self) -> bool:
        """Whether the heartbeat found the lock broken by someone else."""
        return self._lost.is_set()

    def check(self) -> None:
        """LockLostError when the lock was lost (call before each change)."""
        if self.lost:
            raise LockLostError(f"the run lock of domain {self.domain_key!r} was lost")

    def acquire(self, *, break_lock: bool = False) -> LockHolder | None:
        """Take the lock; LockHeldError when held. Returns the stale holder taken over, if any."""
        token, mine = uuid.uuid4().hex, self._token
        with self.journal.database.write() as conn:
            now = self.journal.clock()
            previous = _read(conn, self.domain_key)
            taken = previous if previous is not None and previous.token != mine else None
            if taken is not None:
                self._may_take(taken, now, break_lock=break_lock)
            conn.execute(
                "INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (self.domain_key, token, self.run_id, self.purpose.value, self.identity.user,
                 self.identity.machine, self.identity.pid, to_text(now),
                 to_text(now + self.lease)),
            )  # fmt: skip
        self._token = token
        self._lost.clear()
        self.taken_over = taken
        if taken is not None:
            log.warning("run lock taken over", domain=self.domain_key, previous=taken.describe())
        return taken

    def _may_take(self, holder: LockHolder, now: datetime, *, break_lock: bool) -> None:
        reason = stale_reason(holder, now, self.identity.machine, self.alive)
        if reason is None:
            raise LockHeldError(holder, None)
        recovering = self.purpose is not LockPurpose.RUN and holder.run_id == self.run_id
        if not (break_lock or recovering):
            raise LockHeldError(holder, reason)

    def renew(self) -> None:
        """Extend the lease; LockLostError when the lock is no longer ours."""
        self._update("lease_expires = ?", to_text(self.journal.clock() + self.lease))

    def set_deadline(self, deadline: datetime | None) -> None:
        """Show a window's deadline on the lock (None when the window closes)."""
        self._update("deadline = ?", None if deadline is None else to_text(deadline))

    def _update(self, assignment: str, value: str | None) -> None:
        with self.journal.database.write() as conn:
            changed = conn.execute(
                f"UPDATE locks SET {assignment} WHERE domain_key = ? AND token = ?",  # noqa: S608 -- fixed text
                (value, self.domain_key, self._token),
            ).rowcount
        if changed != 1:
            self._lost.set()
            raise LockLostError(
                f"the run lock of domain {self.domain_key!r} is no longer held by run"
                f" {self.run_id}: it was broken or released"
            )

    def release(self) -> None:
        """Give the lock up (only if it is still ours)."""
        with self.journal.database.write() as conn:
            conn.execute(
                "DELETE FROM locks WHERE domain_key = ? AND token = ?",
                (self.domain_key, self._token),
            )
        self._token = ""

    @contextmanager
    def held(self, *, break_lock: bool = False) -> Iterator[RunLock]:
        """Hold the lock for a block, renewing its lease from a heartbeat thread."""
        self.acquire(break_lock=break_lock)
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(stop,), name="run-lock", daemon=True)
        beat.start()
        try:
            yield self
        finally:
            stop.set()
            beat.join()
            self._release_quietly()

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat.total_seconds()):
            try:
                self.renew()
            except LockLostError as exc:
                log.error("run lock lost", domain=self.domain_key, error=str(exc))
                return
            except JournalError as exc:  # busy or I/O: the lease has slack, try again
                log.warning("run lock renewal failed", domain=self.domain_key, error=str(exc))

    def _release_quietly(self) -> None:
        try:
            self.release()
        except JournalError as exc:  # the lease expires on its own; do not mask the block's error
            log.warning("run lock release failed", domain=self.domain_key, error=str(exc))


def current_holder(journal: Journal, domain_key: str) -> LockHolder | None:
    """Who holds a domain's lock now (live or stale), or None."""
    with journal.database.read() as conn:
        return _read(conn, domain_key)


def _read(conn: sqlite3.Connection, domain_key: str) -> LockHolder | None:
    row = conn.execute("SELECT * FROM locks WHERE domain_key = ?", (domain_key,)).fetchone()
    if row is None:
        return None
    return LockHolder(
        domain_key=row["domain_key"],
        run_id=row["run_id"],
        purpose=LockPurpose(row["purpose"]),
        user=row["user"],
        machine=row["machine"],
        pid=row["pid"],
        since=from_text(row["since"]),
        deadline=maybe_time(row["deadline"]),
        lease_expires=from_text(row["lease_expires"]),
        token=row["token"],
    )
