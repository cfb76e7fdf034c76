"""The run lock: one holder per domain, named when refused; stale holders; takeover; heartbeat."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.journal import (
    Identity,
    Journal,
    LockHeldError,
    LockLostError,
    LockPurpose,
    RunLock,
    current_holder,
)

from .conftest import T0, FakeClock

WORKERS = Path(__file__).with_name("workers.py")
HERE = Identity("alice", "jump01", os.getpid())


def _lock(
    journal: Journal, run_id: str, *, identity: Identity = HERE, **options: object
) -> RunLock:
    return RunLock(journal, "corp.example", run_id=run_id, identity=identity, **options)  # type: ignore[arg-type]


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def other(state: Path, clock: FakeClock, journal: Journal) -> Iterator[Journal]:
    """A second journal on the same database: another process, as far as SQLite is concerned."""
    second = Journal.open(state, clock=clock)
    yield second
    second.close()


def test_second_acquire_is_refused_naming_the_holder(journal: Journal, other: Journal) -> None:
    """While a live lock is held, another run is refused with user, machine, pid, run id, since, deadline."""
    holder = _lock(journal, "run1")
    holder.acquire()
    holder.set_deadline(T0 + timedelta(hours=2))
    with pytest.raises(LockHeldError) as caught:
        _lock(other, "run2", identity=Identity("bob", "jump01", os.getpid())).acquire()
    assert str(caught.value) == (
        "domain 'corp.example' is locked by run run1 (run) of alice@jump01, pid"
        f" {os.getpid()}, since 2026-03-01 12:00:00Z, window deadline 2026-03-01 14:00:00Z;"
        " its lease runs until 2026-03-01 12:00:30Z"
    )
    assert caught.value.stale_reason is None


def test_live_lock_is_refused_even_with_break_lock(journal: Journal, other: Journal) -> None:
    """--break-lock breaks only stale locks: a live holder is never pushed aside."""
    _lock(journal, "run1").acquire()
    with pytest.raises(LockHeldError):
        _lock(other, "run2").acquire(break_lock=True)


def test_other_domains_are_independent(journal: Journal) -> None:
    """A lock on one domain does not block another domain."""
    _lock(journal, "run1").acquire()
    RunLock(journal, "other.example", run_id="run2", identity=HERE).acquire()


def test_dead_pid_on_this_machine_is_stale_but_still_refused(
    journal: Journal, other: Journal
) -> None:
    """A holder whose process is gone is reported stale, and still refused without --break-lock."""
    dead = _dead_pid()
    _lock(journal, "run1", identity=Identity("alice", "jump01", dead)).acquire()
    with pytest.raises(LockHeldError) as caught:
        _lock(other, "run2").acquire()
    assert caught.value.stale_reason == f"process {dead} no longer exists on jump01"
    assert "--break-lock" in str(caught.value)
    assert "orchestrator rollback run1" in str(caught.value)


def test_a_pid_on_another_machine_is_not_checked(journal: Journal, other: Journal) -> None:
    """A dead-looking pid of another machine says nothing: only its lease counts there."""
    _lock(journal, "run1", identity=Identity("alice", "elsewhere", _dead_pid())).acquire()
    with pytest.raises(LockHeldError) as caught:
        _lock(other, "run2").acquire()
    assert caught.value.stale_reason is None


def test_expired_lease_is_stale(journal: Journal, other: Journal, clock: FakeClock) -> None:
    """A holder that stopped renewing is stale once its lease has expired."""
    _lock(journal, "run1", identity=Identity("alice", "elsewhere", 1)).acquire()
    clock.advance(seconds=29)
    with pytest.raises(LockHeldError) as caught:
        _lock(other, "run2").acquire()
    assert caught.value.stale_reason is None
    clock.advance(seconds=2)
    with pytest.raises(LockHeldError) as caught:
        _lock(other, "run2").acquire()
    assert (
        caught.value.stale_reason == "its lease expired at 2026-03-01 12:00:30Z, no heartbeat since"
    )


def test_break_lock_takes_a_stale_lock(journal: Journal, other: Journal) -> None:
    """With break_lock a stale lock changes hands; the old holder is returned and loses it."""
    old = _lock(journal, "run1", identity=Identity("alice", "jump01", _dead_pid()))
    old.acquire()
    new = _lock(other, "run2")
    taken = new.acquire(break_lock=True)
    assert taken is not None
    assert taken.run_id == "run1"
    holder = current_holder(other, "corp.example")
    assert holder is not None
    assert holder.run_id == "run2"
    with pytest.raises(LockLostError):
        old.renew()
    assert old.lost
    with pytest.raises(LockLostError):
        old.check()
    old.release()  # releasing a lost lock leaves the new holder's lock alone
    assert current_holder(other, "corp.example") is not None


@pytest.mark.parametrize("purpose", [LockPurpose.ROLLBACK, LockPurpose.RESUME])
def test_recovery_of_the_same_run_takes_over_its_stale_lock(
    journal: Journal, other: Journal, purpose: LockPurpose
) -> None:
    """rollback/resume of the run that held a stale lock take it over without --break-lock."""
    _lock(journal, "run1", identity=Identity("alice", "jump01", _dead_pid())).acquire()
    recovery = _lock(other, "run1", purpose=purpose)
    assert recovery.acquire() is not None
    holder = current_holder(other, "corp.example")
    assert holder is not None
    assert holder.purpose is purpose


def test_recovery_does_not_take_over_another_run_or_a_live_holder(
    journal: Journal, other: Journal
) -> None:
    """A rollback of another run id is refused on a stale lock; the same run's live lock too."""
    _lock(journal, "run1", identity=Identity("alice", "jump01", _dead_pid())).acquire()
    with pytest.raises(LockHeldError):
        _lock(other, "run9", purpose=LockPurpose.ROLLBACK).acquire()
    with pytest.raises(LockHeldError):
        _lock(other, "run1", purpose=LockPurpose.RUN).acquire()
    live = RunLock(other, "live.example", run_id="run3", identity=HERE)
    live.acquire()
    with pytest.raises(LockHeldError):
        RunLock(
            journal, "live.example", run_id="run3", identity=HERE, purpose=LockPurpose.RESUME
        ).acquire()


def test_release_frees_the_domain(journal: Journal, other: Journal) -> None:
    """After release, the next run gets the lock at once."""
    first = _lock(journal, "run1")
    first.acquire()
    first.release()
    assert current_holder(journal, "corp.example") is None
    _lock(other, "run2").acquire()


def test_deadline_follows_the_window(journal: Journal) -> None:
    """set_deadline shows a window's deadline on the lock and clears it when the window closes."""
    lock = _lock(journal, "run1")
    lock.acquire()
    lock.set_deadline(T0 + timedelta(hours=1))
    holder = current_holder(journal, "corp.example")
    assert holder is not None
    assert holder.deadline == T0 + timedelta(hours=1)
    lock.set_deadline(None)
    holder = current_holder(journal, "corp.example")
    assert holder is not None
    assert holder.deadline is None


def test_heartbeat_keeps_the_lease_alive(state: Path) -> None:
    """Inside held(), the heartbeat renews a short lease, so after several leases it is still live."""
    with Journal.open(state) as journal, Journal.open(state) as second:
        lock = RunLock(
            journal,
            "d",
            run_id="run1",
            lease=timedelta(seconds=0.3),
            heartbeat=timedelta(seconds=0.05),
        )
        with lock.held():
            first = current_holder(journal, "d")
            time.sleep(0.8)
            with pytest.raises(LockHeldError) as caught:
                RunLock(
                    second, "d", run_id="run2", identity=Identity("bob", "elsewhere", 1)
                ).acquire()
            assert caught.value.stale_reason is None
            renewed = current_holder(journal, "d")
            assert first is not None
            assert renewed is not None
            assert renewed.lease_expires > first.lease_expires + timedelta(seconds=0.4)
        assert current_holder(journal, "d") is None  # released on exit


def test_without_heartbeat_the_short_lease_expires(state: Path) -> None:
    """The same short lease, acquired without held(), goes stale: the heartbeat is what renews it."""
    with Journal.open(state) as journal:
        RunLock(journal, "d", run_id="run1", lease=timedelta(seconds=0.3)).acquire()
        time.sleep(0.4)
        with pytest.raises(LockHeldError) as caught:
            RunLock(journal, "d", run_id="run2", identity=Identity("bob", "elsewhere", 1)).acquire()
        assert caught.value.stale_reason is not None


def test_held_releases_when_the_block_fails(journal: Journal) -> None:
    """An exception inside held() still releases the lock."""
    with pytest.raises(RuntimeError), _lock(journal, "run1").held():
        raise RuntimeError("boom")
    assert current_holder(journal, "corp.example") is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the racers are forked")
def test_racing_processes_exactly_one_wins(tmp_path: Path) -> None:
    """Six processes taking the same lock at the same instant: one wins, the others are refused
    naming it; once it died, the lock is stale by its dead pid."""
    state = tmp_path / "state"
    result = subprocess.run(
        [sys.executable, str(WORKERS), "race", str(state), "6", "1.0"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    winners = [line.split() for line in lines if line.startswith("won")]
    assert len(winners) == 1, result.stdout
    _, index, pid = winners[0]
    refusals = [line for line in lines if line.startswith("refused")]
    assert len(refusals) == 5, result.stdout
    assert all(f"run racer{index} (run)" in r and f"pid {pid}," in r for r in refusals), (
        result.stdout
    )
    with Journal.open(state) as journal, pytest.raises(LockHeldError) as caught:
        RunLock(journal, "race-domain", run_id="late").acquire()
    assert caught.value.stale_reason is not None
    assert f"process {pid} no longer exists" in caught.value.stale_reason
