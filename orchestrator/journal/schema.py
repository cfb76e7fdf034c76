"""The journal's tables and numbered migrations.

`schema_migrations` lists every migration applied. Opening a database runs the missing ones in
one IMMEDIATE transaction together with their rows in that table (SQLite DDL is
transactional), so a crash mid-migration leaves the previous version intact, and two processes
opening a new journal at once migrate it once. A database whose version is newer than
MIGRATIONS knows is refused before anything is written to it.

Statuses are plain TEXT without CHECK constraints: adding a status later is then a code change,
not a table rebuild (SQLite cannot alter a CHECK). The Enums in records.py validate them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.journal.errors import JournalVersionError


@dataclass(frozen=True)
class Migration:
    """One schema step: its version number and its statements."""

    version: int
    statements: tuple[str, ...]


V1 = Migration(
    1,
    (
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            playbook TEXT NOT NULL,
            playbook_digest TEXT NOT NULL,
            inventory TEXT NOT NULL,
            inventory_digest TEXT NOT NULL,
            vars_digest TEXT NOT NULL,
            domain_key TEXT NOT NULL,
            user TEXT NOT NULL,
            machine TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started TEXT NOT NULL,
            ended TEXT,
            status TEXT NOT NULL
        )""",
        "CREATE INDEX runs_by_start ON runs (started)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            host TEXT NOT NULL DEFAULT '',
            step TEXT NOT NULL DEFAULT '',
            step_index INTEGER,
            attempt INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
        )""",
        "CREATE INDEX events_by_run ON events (run_id, id)",
        """CREATE TABLE windows (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            name TEXT NOT NULL,
            deadline TEXT NOT NULL,
            failsafe TEXT NOT NULL,
            opened TEXT NOT NULL,
            closed TEXT,
            status TEXT NOT NULL
        )""",
        "CREATE INDEX windows_by_run ON windows (run_id, id)",
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            window_id INTEGER REFERENCES windows (id),
            host TEXT NOT NULL,
            step TEXT NOT NULL,
            step_index INTEGER NOT NULL,
            module TEXT NOT NULL,
            args TEXT NOT NULL CHECK (json_valid(args)),
            before TEXT NOT NULL CHECK (json_valid(before)),
            after TEXT NOT NULL CHECK (json_valid(after)),
            undo TEXT CHECK (undo IS NULL OR json_valid(undo)),
            failsafe_task TEXT,
            failsafe_path TEXT,
            state TEXT NOT NULL,
            error TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
        "CREATE INDEX changes_by_run ON changes (run_id, id)",
        """CREATE TABLE failsafes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            window_id INTEGER NOT NULL REFERENCES windows (id),
            host TEXT NOT NULL,
            task_name TEXT NOT NULL,
            task_path TEXT NOT NULL,
            armed TEXT NOT NULL CHECK (json_valid(armed)),
            state TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            UNIQUE (window_id, host)
        )""",
        """CREATE TABLE locks (
            domain_key TEXT PRIMARY KEY,
            token TEXT NOT NULL,
            run_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            user TEXT NOT NULL,
            machine TEXT NOT NULL,
            pid INTEGER NOT NULL,
            since TEXT NOT NULL,
            deadline TEXT,
            lease_expires TEXT NOT NULL
        )""",
    ),
)

# When a failsafe fired by itself (found by whatever read the target next: `show` says so).
V2 = Migration(2, ("ALTER TABLE failsafes ADD COLUMN fired TEXT",))

MIGRATIONS: tuple[Migration, ...] = (V1, V2)

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied TEXT NOT NULL
)"""


def current_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied; 0 for a database without the version table."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def refuse_newer(version: int, known: int, where: str) -> None:
    """JournalVersionError when the database is ahead of this code."""
    if version > known:
        raise JournalVersionError(
            f"journal {where} has schema version {version}, newer than this orchestrator"
            f" understands ({known}); it was left untouched: upgrade orchestrator, or give"
            " another --state-dir"
        )


def pending(version: int, migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations after `version`, in order."""
    return [m for m in migrations if m.version > version]


def apply(conn: sqlite3.Connection, migration: Migration, applied_at: str) -> None:
    """Run one migration's statements and record it (inside the caller's transaction)."""
    conn.execute(_VERSION_TABLE)
    for statement in migration.statements:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO schema_migrations (version, applied) VALUES (?, ?)",
        (migration.version, applied_at),
    )
