"""The journal database: its tables and settings, migrations, and a newer schema refused."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from orchestrator.journal import Journal, JournalError, JournalVersionError, journal_path
from orchestrator.journal.schema import MIGRATIONS, Migration

from .conftest import FakeClock, start_run

TABLES = {"runs", "events", "windows", "changes", "failsafes", "locks", "schema_migrations"}


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows} - {"sqlite_sequence"}


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0])
    finally:
        conn.close()


def test_open_creates_every_table_at_the_latest_version(journal: Journal) -> None:
    """A new journal has all tables and records the latest migration."""
    assert _tables(journal.path) == TABLES
    assert _version(journal.path) == MIGRATIONS[-1].version


def test_connection_settings_are_crash_safe(journal: Journal) -> None:
    """The connection runs in WAL mode with synchronous=FULL, foreign keys and a busy timeout."""
    with journal.database.read() as conn:
        settings = {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert settings == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 10_000,
    }


def test_state_dir_and_file_are_private(journal: Journal) -> None:
    """The state directory is 0700 and the database 0600: it names hosts and accounts."""
    assert journal.path.parent.stat().st_mode & 0o777 == 0o700
    assert journal.path.stat().st_mode & 0o777 == 0o600


def test_foreign_keys_refuse_an_event_of_an_unknown_run(journal: Journal) -> None:
    """An event for a run that was never started is refused as a JournalError."""
    from orchestrator.journal import EventKind

    with pytest.raises(JournalError, match="FOREIGN KEY"):
        journal.record_event("nope", EventKind.NOTE)


def test_an_old_database_is_migrated_keeping_its_data(
    state: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """A v1 database opened by code that knows later versions gets them applied, and its runs
    survive."""
    with Journal.open(state, clock=clock, migrations=MIGRATIONS[:1]) as old:
        run = start_run(old, tmp_path)
    later = Migration(
        MIGRATIONS[-1].version + 1, ("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''",)
    )
    with Journal.open(state, clock=clock, migrations=(*MIGRATIONS, later)) as new:
        assert new.run(run.id) == run
        with new.database.read() as conn:
            assert conn.execute("SELECT note FROM runs").fetchone()[0] == ""
    assert _version(journal_path(state)) == later.version


def test_an_empty_file_is_migrated_from_nothing(state: Path, clock: FakeClock) -> None:
    """A database file without any table (version 0) gets the whole schema."""
    state.mkdir()
    journal_path(state).touch()
    with Journal.open(state, clock=clock):
        pass
    assert _tables(journal_path(state)) == TABLES


def test_a_newer_database_is_refused_and_left_untouched(
    state: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """A database at a version this code does not know is refused with a clear error, unchanged."""
    newer = Migration(MIGRATIONS[-1].version + 1, ("CREATE TABLE future (x INTEGER)",))
    with Journal.open(state, clock=clock, migrations=(*MIGRATIONS, newer)) as future:
        start_run(future, tmp_path)
    path = journal_path(state)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = f"schema version {newer.version}, newer than this orchestrator understands \\({newer.version - 1}\\)"
    with pytest.raises(JournalVersionError, match=expected):
        Journal.open(state, clock=clock)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert _version(path) == newer.version


def test_a_file_that_is_not_a_database_is_a_journal_error(state: Path) -> None:
    """Garbage where the journal should be gives a JournalError naming the file, no sqlite3 error."""
    state.mkdir()
    journal_path(state).write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(JournalError, match=r"journal\.sqlite3"):
        Journal.open(state)


def test_a_closed_journal_refuses_use(state: Path, tmp_path: Path) -> None:
    """After close, every call raises JournalError instead of touching a closed connection."""
    journal = Journal.open(state)
    journal.close()
    journal.close()  # closing twice is harmless
    with pytest.raises(JournalError, match="closed"):
        journal.runs()
