"""Reading the journal: SELECTs and rows turned into records (pure over a connection)."""

from __future__ import annotations

import sqlite3
from typing import Any

from orchestrator.errors import InputError
from orchestrator.journal.codec import decode_commands, from_text, load_json, maybe_time
from orchestrator.journal.errors import JournalError
from orchestrator.journal.records import (
    FINISHED_STEP_STATUSES,
    OPEN_CHANGE_STATES,
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

_SHOWN_CANDIDATES = 8


def run_record(row: sqlite3.Row) -> RunRecord:
    """A runs row as a record."""
    return RunRecord(
        id=row["id"],
        playbook=row["playbook"],
        playbook_digest=row["playbook_digest"],
        inventory=row["inventory"],
        inventory_digest=row["inventory_digest"],
        vars_digest=row["vars_digest"],
        domain_key=row["domain_key"],
        user=row["user"],
        machine=row["machine"],
        pid=row["pid"],
        started=from_text(row["started"]),
        ended=maybe_time(row["ended"]),
        status=RunStatus(row["status"]),
    )


def event_record(row: sqlite3.Row) -> EventRecord:
    """An events row as a record."""
    return EventRecord(
        id=row["id"],
        run_id=row["run_id"],
        at=from_text(row["at"]),
        kind=EventKind(row["kind"]),
        host=row["host"],
        step=row["step"],
        step_index=row["step_index"],
        attempt=row["attempt"],
        status=row["status"],
        detail=load_json(row["detail"]),
    )


def window_record(row: sqlite3.Row) -> WindowRecord:
    """A windows row as a record."""
    return WindowRecord(
        id=row["id"],
        run_id=row["run_id"],
        name=row["name"],
        deadline=from_text(row["deadline"]),
        failsafe=row["failsafe"],
        opened=from_text(row["opened"]),
        closed=maybe_time(row["closed"]),
        status=WindowStatus(row["status"]),
    )


def change_record(row: sqlite3.Row) -> ChangeRecord:
    """A changes row as a record, its undo commands decoded."""
    undo = row["undo"]
    return ChangeRecord(
        id=row["id"],
        run_id=row["run_id"],
        window_id=row["window_id"],
        host=row["host"],
        step=row["step"],
        step_index=row["step_index"],
        module=row["module"],
        args=load_json(row["args"]),
        before=load_json(row["before"]),
        after=load_json(row["after"]),
        undo=None if undo is None else decode_commands(undo),
        failsafe_task=row["failsafe_task"],
        failsafe_path=row["failsafe_path"],
        state=ChangeState(row["state"]),
        error=row["error"],
        created=from_text(row["created"]),
        updated=from_text(row["updated"]),
    )


def runs(conn: sqlite3.Connection, limit: int) -> list[RunRecord]:
    """The most recent runs first."""
    rows = conn.execute("SELECT * FROM runs ORDER BY started DESC, rowid DESC LIMIT ?", (limit,))
    return [run_record(r) for r in rows]


def run_by_prefix(conn: sqlite3.Connection, prefix: str) -> RunRecord:
    """The run whose id is `prefix` or the only one starting with it; InputError otherwise."""
    exact = conn.execute("SELECT * FROM runs WHERE id = ?", (prefix,)).fetchone()
    if exact is not None:
        return run_record(exact)
    pattern = _escape_like(prefix) + "%"
    rows = conn.execute(
        "SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY started DESC, rowid DESC",
        (pattern,),
    ).fetchall()
    if len(rows) == 1 and prefix:
        return run_record(rows[0])
    raise _lookup_error(conn, prefix, [r["id"] for r in rows])


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lookup_error(conn: sqlite3.Connection, prefix: str, matches: list[str]) -> InputError:
    if prefix and matches:
        more = ", ..." if len(matches) > _SHOWN_CANDIDATES else ""
        shown = ", ".join(matches[:_SHOWN_CANDIDATES]) + more
        return InputError.single(
            f"run id prefix {prefix!r} is ambiguous: {len(matches)} runs match ({shown})",
            field="RUN",
            hint="give more characters of the run id",
        )
    recent = [
        r["id"]
        for r in conn.execute("SELECT id FROM runs ORDER BY started DESC, rowid DESC LIMIT 3")
    ]
    hint = (
        f"`orchestrator runs` lists them; most recent: {', '.join(recent)}"
        if recent
        else "this journal holds no run yet (check --state-dir)"
    )
    return InputError.single(f"no run id starts with {prefix!r}", field="RUN", hint=hint)


def timeline(conn: sqlite3.Connection, run_id: str) -> list[EventRecord]:
    """A run's events in the order they were written."""
    rows = conn.execute("SELECT * FROM events WHERE run_id = ? ORDER BY id", (run_id,))
    return [event_record(r) for r in rows]


def windows(conn: sqlite3.Connection, run_id: str, *, open_only: bool) -> list[WindowRecord]:
    """A run's windows in opening order; with open_only, those not yet closed."""
    where = " AND status != 'closed'" if open_only else ""
    rows = conn.execute(f"SELECT * FROM windows WHERE run_id = ?{where} ORDER BY id", (run_id,))  # noqa: S608 -- a fixed clause, no value pasted
    return [window_record(r) for r in rows]


def changes(conn: sqlite3.Connection, run_id: str, *, open_only: bool) -> list[ChangeRecord]:
    """A run's changes in the order they were journaled; with open_only, those left to undo."""
    if not open_only:
        rows = conn.execute("SELECT * FROM changes WHERE run_id = ? ORDER BY id", (run_id,))
        return [change_record(r) for r in rows]
    states = [s.value for s in OPEN_CHANGE_STATES]
    rows = conn.execute(
        "SELECT * FROM changes WHERE run_id = ? AND state IN (?, ?, ?) ORDER BY id",
        (run_id, *states),
    )
    return [change_record(r) for r in rows]


def failsafe_record(row: sqlite3.Row) -> FailsafeRecord:
    """A failsafes row as a record."""
    return FailsafeRecord(
        id=row["id"],
        run_id=row["run_id"],
        window_id=row["window_id"],
        host=row["host"],
        task_name=row["task_name"],
        task_path=row["task_path"],
        armed=load_json(row["armed"]),
        state=FailsafeState(row["state"]),
        created=from_text(row["created"]),
        updated=from_text(row["updated"]),
        fired=maybe_time(row["fired"]),
    )


def failsafes(conn: sqlite3.Connection, run_id: str, *, armed_only: bool) -> list[FailsafeRecord]:
    """A run's failsafes in arming order; with armed_only, those still armed."""
    rows = conn.execute("SELECT * FROM failsafes WHERE run_id = ? ORDER BY id", (run_id,))
    found = [failsafe_record(r) for r in rows]
    return [f for f in found if f.state is FailsafeState.ARMED] if armed_only else found


def runs_left_open(conn: sqlite3.Connection, domain_key: str) -> list[RunRecord]:
    """The domain's runs with a change still to undo or a failsafe still armed, oldest first."""
    states = [s.value for s in OPEN_CHANGE_STATES]
    rows = conn.execute(
        "SELECT * FROM runs WHERE domain_key = ? AND ("
        " EXISTS (SELECT 1 FROM changes c WHERE c.run_id = runs.id AND c.state IN (?, ?, ?))"
        " OR EXISTS (SELECT 1 FROM failsafes f WHERE f.run_id = runs.id AND f.state = ?)"
        ") ORDER BY started, rowid",
        (domain_key, *states, FailsafeState.ARMED.value),
    )
    return [run_record(r) for r in rows]


def failsafe_id(conn: sqlite3.Connection, window_id: int, host: str) -> int:
    """The id of a host's failsafe in a window."""
    row = conn.execute(
        "SELECT id FROM failsafes WHERE window_id = ? AND host = ?", (window_id, host)
    ).fetchone()
    return int(row[0])


def window_run(conn: sqlite3.Connection, window_id: int) -> str:
    """The run a window belongs to; JournalError for an unknown window."""
    row = conn.execute("SELECT run_id FROM windows WHERE id = ?", (window_id,)).fetchone()
    if row is None:
        raise JournalError(f"no window {window_id} in the journal")
    return str(row[0])


def finished_steps(conn: sqlite3.Connection, run_id: str) -> set[tuple[str, int]]:
    """Host x step pairs `resume` must not run again.

    Finished: the last result recorded is ok, changed, skipped or an ignored failure; or a
    change of that step is `applied` (the process died after applying, before the result).
    """
    last: dict[tuple[str, int], bool] = {}
    for row in conn.execute(
        "SELECT host, step_index, status, detail FROM events"
        " WHERE run_id = ? AND kind = ? AND step_index IS NOT NULL ORDER BY id",
        (run_id, EventKind.HOST_STEP_FINISHED.value),
    ):
        last[(row["host"], row["step_index"])] = _finished(row)
    applied = conn.execute(
        "SELECT DISTINCT host, step_index FROM changes WHERE run_id = ? AND state = ?",
        (run_id, ChangeState.APPLIED.value),
    )
    return {key for key, done in last.items() if done} | {(r[0], r[1]) for r in applied}


def _finished(row: sqlite3.Row) -> bool:
    if row["status"] in FINISHED_STEP_STATUSES:
        return True
    detail: Any = load_json(row["detail"])
    return bool(isinstance(detail, dict) and detail.get("ignored"))


def change_state(conn: sqlite3.Connection, change_id: int) -> ChangeState | None:
    """A change's current state, or None when there is no such change."""
    row = conn.execute("SELECT state FROM changes WHERE id = ?", (change_id,)).fetchone()
    return None if row is None else ChangeState(row[0])
