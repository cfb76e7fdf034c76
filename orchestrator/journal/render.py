"""`runs` and `show` output: rich tables for people, plain JSON-able data for machines.

`show` prints, per changed host and step, the facts its probe read before the change and the
ones the change left (`before`, `after`), and its JSON gives them on each step: the backup of
what a run replaced, taken by the run itself. Journals written before the facts were kept
show none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from orchestrator.journal.codec import human, to_text
from orchestrator.journal.records import (
    ChangeRecord,
    EventKind,
    EventRecord,
    FailsafeRecord,
    FailsafeState,
    RunRecord,
    WindowRecord,
)
from orchestrator.journal.views import LockView, RunDetail, RunView, StepRow

_STYLE = {
    "succeeded": "green",
    "ok": "green",
    "closed": "green",
    "undone": "green",
    "disarmed": "green",
    "armed": "yellow",
    "fired": "cyan",
    "changed": "yellow",
    "running": "yellow",
    "started": "yellow",
    "open": "yellow",
    "closing": "yellow",
    "failed": "red",
    "unreachable": "bold red",
    "rollback_incomplete": "bold red",
    "undo_failed": "bold red",
    "refused": "magenta",
    "aborted": "red",
    "rolled_back": "cyan",
}
# Events that are not a step on a host but belong in the story of the run.
_NOTABLE = frozenset(EventKind) - {
    EventKind.HOST_STEP_STARTED,
    EventKind.HOST_STEP_FINISHED,
    EventKind.STEP_STARTED,
    EventKind.STEP_FINISHED,
    EventKind.PROGRESS,
}


def _status(text: str) -> Text:
    return Text(text, style=_STYLE.get(text, ""))


def _time(moment: datetime | None) -> str:
    return "" if moment is None else human(moment)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else to_text(moment)


def until(deadline: datetime, now: datetime) -> str:
    """How far a deadline is: `in 1h 05m` or `passed 3m ago`."""
    seconds = int((deadline - now).total_seconds())
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        span = f"{days}d {hours}h"
    elif hours:
        span = f"{hours}h {rest // 60:02d}m"
    else:
        span = f"{rest // 60}m {rest % 60:02d}s"
    return f"in {span}" if seconds >= 0 else f"passed {span} ago"


def run_status(view: RunView) -> str:
    """The run's status, flagged when its process is gone while it says running."""
    status = view.run.status.value
    return f"{status} (process gone: crashed?)" if view.process_gone else status


# --- runs --------------------------------------------------------------------------------------


def runs_table(views: Sequence[RunView], now: datetime) -> Table:
    """One row per run, newest first."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("run", "started", "by", "playbook", "status", "open windows"):
        table.add_column(name, no_wrap=name in ("run", "started"))
    for view in views:
        run = view.run
        table.add_row(
            run.id,
            human(run.started),
            f"{run.user}@{run.machine}",
            run.playbook,
            _status(run_status(view)),
            ", ".join(f"{w.name} ({until(w.deadline, now)})" for w in view.open_windows) or "-",
        )
    return table


def runs_json(views: Sequence[RunView]) -> dict[str, Any]:
    """The runs as JSON data."""
    return {"runs": [_run_json(v) for v in views]}


def _run_json(view: RunView) -> dict[str, Any]:
    run = view.run
    return {
        "id": run.id,
        "status": run.status.value,
        "process_gone": view.process_gone,
        "started": _iso(run.started),
        "ended": _iso(run.ended),
        "user": run.user,
        "machine": run.machine,
        "pid": run.pid,
        "domain": run.domain_key,
        "playbook": {"path": run.playbook, "sha256": run.playbook_digest},
        "inventory": {"path": run.inventory, "sha256": run.inventory_digest},
        "vars_sha256": run.vars_digest,
        "open_windows": [_window_json(w) for w in view.open_windows],
    }


def _window_json(window: WindowRecord) -> dict[str, Any]:
    return {
        "id": window.id,
        "name": window.name,
        "deadline": _iso(window.deadline),
        "failsafe": window.failsafe,
        "status": window.status.value,
        "opened": _iso(window.opened),
        "closed": _iso(window.closed),
    }


# --- show --------------------------------------------------------------------------------------


def detail_view(detail: RunDetail, now: datetime) -> RenderableType:
    """The run's record, steps per host, windows, what is still open, and notable events."""
    parts: list[RenderableType] = [_header(detail.view), _record(detail.view.run)]
    parts += _section("Steps", _steps_table(detail.steps) if detail.steps else None)
    changed = changed_facts(detail.events)
    if changed:
        parts += _section("Before and after each change", _facts_view(detail.steps, changed))
    if detail.windows:
        parts += _section("Windows", _windows_table(detail, now))
    parts += _section(
        "Still open", _open_table(detail.open_changes) if detail.open_changes else None
    )
    if detail.failsafes:
        parts += _section("Failsafes", _failsafes_table(detail, now))
    notable = [e for e in detail.events if e.kind in _NOTABLE]
    if notable:
        parts += _section("Events", _events_table(notable))
    if detail.lock is not None:
        parts += _section("Run lock", Text(_lock_line(detail.lock, detail.view.run.id)))
    return Group(*parts)


def _section(title: str, body: RenderableType | None) -> list[RenderableType]:
    empty = {"Steps": "no step started", "Still open": "nothing is left open"}.get(title, "")
    return [Text(""), Text(title, style="bold"), body if body is not None else Text(f"  {empty}")]


def _header(view: RunView) -> Text:
    text = Text(f"Run {view.run.id}  ", style="bold")
    text.append_text(_status(run_status(view)))
    return text


def _record(run: RunRecord) -> Table:
    table = Table.grid(padding=(0, 2))
    ended = _time(run.ended) or "-"
    for name, value in (
        ("playbook", f"{run.playbook}  sha256 {run.playbook_digest[:16]}"),
        ("inventory", f"{run.inventory}  sha256 {run.inventory_digest[:16]}"),
        ("vars", f"sha256 {run.vars_digest[:16]}"),
        ("domain", run.domain_key),
        ("by", f"{run.user}@{run.machine}, pid {run.pid}"),
        ("time", f"started {human(run.started)}, ended {ended}"),
    ):
        table.add_row(Text(f"  {name}", style="dim"), value)
    return table


def _steps_table(rows: Sequence[StepRow]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("#", "step", "host", "status", "attempts", "result"):
        table.add_column(name)
    for row in rows:
        index = "" if row.index is None else str(row.index + 1)
        result = f"{row.error_id}: {row.error}" if row.error else row.summary
        table.add_row(index, row.step, row.host, _status(row.status), str(row.attempts), result)
    return table


StepKey = tuple[int | None, str, str]  # step index, step, host
Facts = tuple[Mapping[str, Any], Mapping[str, Any]]  # before, after


def changed_facts(events: Sequence[EventRecord]) -> dict[StepKey, Facts]:
    """Each changed host x step's latest before and after facts, from its finished events."""
    found: dict[StepKey, Facts] = {}
    for event in events:
        detail = event.detail
        if event.kind is EventKind.HOST_STEP_FINISHED and ("before" in detail or "after" in detail):
            key = (event.step_index, event.step, event.host)
            found[key] = (detail.get("before") or {}, detail.get("after") or {})
    return found


def facts_text(facts: Mapping[str, Any]) -> str:
    """Facts on one line, as JSON (exact: a value can be copied back as it was)."""
    return json.dumps(facts, ensure_ascii=False, sort_keys=True)


def _facts_view(rows: Sequence[StepRow], changed: Mapping[StepKey, Facts]) -> Group:
    lines: list[Text] = []
    order = {(r.index, r.step, r.host): i for i, r in enumerate(rows)}
    for key in sorted(changed, key=lambda k: order.get(k, len(order))):
        index, step, host = key
        before, after = changed[key]
        number = "" if index is None else f"{index + 1}. "
        title = Text(f"  {number}{step}", style="bold")
        title.append(f"  on {host}", style="")
        lines += [
            title,
            Text.assemble(("     before  ", "dim"), facts_text(before)),
            Text.assemble(("     after   ", "dim"), facts_text(after)),
        ]
    return Group(*lines)


def _windows_table(detail: RunDetail, now: datetime) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("window", "deadline", "failsafe", "status", "opened", "closed", "open changes"):
        table.add_column(name)
    for window in detail.windows:
        left = sum(1 for c in detail.open_changes if c.window_id == window.id)
        deadline = f"{human(window.deadline)} ({until(window.deadline, now)})"
        table.add_row(
            window.name,
            deadline,
            window.failsafe,
            _status(window.status.value),
            _time(window.opened),
            _time(window.closed) or "-",
            str(left),
        )
    return table


def _open_table(changes: Sequence[ChangeRecord]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("change", "host", "step", "module", "state", "failsafe task", "undo"):
        table.add_column(name)
    for change in changes:
        table.add_row(
            str(change.id),
            change.host,
            change.step,
            change.module,
            _status(change.state.value),
            change.failsafe_task or "-",
            _undo_text(change),
        )
    return table


def _failsafes_table(detail: RunDetail, now: datetime) -> Table:
    windows = {w.id: w for w in detail.windows}
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("window", "host"):
        table.add_column(name, no_wrap=True)
    table.add_column("task", overflow="ellipsis")  # the one shortened on a narrow terminal
    for name in ("state", "fires at (host clock)"):
        table.add_column(name, no_wrap=True)
    for failsafe in detail.failsafes:
        window = windows.get(failsafe.window_id)
        table.add_row(
            window.name if window else str(failsafe.window_id),
            failsafe.host,
            f"{failsafe.task_path}{failsafe.task_name}",
            _failsafe_state(failsafe, window.deadline if window else None, now),
            _host_time(failsafe.armed.get("start")),
        )
    return table


def _failsafe_state(failsafe: FailsafeRecord, deadline: datetime | None, now: datetime) -> Text:
    """`fired at <time>`, `armed (deadline passed)` (it may have fired: nothing has read the
    host since), or the state as journaled."""
    state = failsafe.state
    text = state.value
    if state is FailsafeState.FIRED and failsafe.fired is not None:
        text = f"fired at {human(failsafe.fired)}"
    elif state is FailsafeState.ARMED and deadline is not None and deadline <= now:
        text = "armed (deadline passed)"
    return Text(text, style=_STYLE.get(state.value, ""))


def _host_time(value: Any) -> str:
    """A time the failsafe keeps on the host's clock, shown as `human` shows the others; one
    without an offset (the host's local time) as it is."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "-")
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S} (host's zone)"
    return human(moment)


def _undo_text(change: ChangeRecord) -> str:
    if change.undo is None:
        return "irreversible"
    return "; ".join(c.describe() for c in change.undo) or "nothing to undo"


def _events_table(events: Sequence[EventRecord]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("time", "event", "host", "detail"):
        table.add_column(name)
    for event in events:
        summary = event.detail.get("summary") or event.detail.get("error") or event.status
        table.add_row(human(event.at), event.kind.value, event.host, str(summary or ""))
    return table


def _lock_line(lock: LockView, run_id: str) -> str:
    whose = "this run" if lock.holder.run_id == run_id else "another run"
    state = f"stale: {lock.stale}" if lock.stale else "live"
    return f"  held by {whose}: {lock.holder.describe()} ({state})"


def detail_json(detail: RunDetail) -> dict[str, Any]:
    """`show` as JSON data (undo commands as they would be shown in a log: no secret, no script)."""
    changed = changed_facts(detail.events)
    return {
        "run": _run_json(detail.view),
        "steps": [_step_json(row, changed) for row in detail.steps],
        "windows": [_window_json(w) for w in detail.windows],
        "open_changes": [_change_json(c) for c in detail.open_changes],
        "failsafes": [_failsafe_json(f) for f in detail.failsafes],
        "events": [_event_json(e) for e in detail.events],
        "lock": None if detail.lock is None else _lock_json(detail.lock),
    }


def _step_json(row: StepRow, changed: Mapping[StepKey, Facts]) -> dict[str, Any]:
    """A host x step's row, with the facts before and after its change ({} without one)."""
    before, after = changed.get((row.index, row.step, row.host), ({}, {}))
    return {**vars(row), "before": dict(before), "after": dict(after)}


def _change_json(change: ChangeRecord) -> dict[str, Any]:
    return {
        "id": change.id,
        "window_id": change.window_id,
        "host": change.host,
        "step": change.step,
        "step_index": change.step_index,
        "module": change.module,
        "state": change.state.value,
        "error": change.error,
        "failsafe_task": change.failsafe_task,
        "failsafe_path": change.failsafe_path,
        "undo": None if change.undo is None else [c.describe() for c in change.undo],
        "created": _iso(change.created),
        "updated": _iso(change.updated),
    }


def _failsafe_json(failsafe: FailsafeRecord) -> dict[str, Any]:
    return {
        "id": failsafe.id,
        "window_id": failsafe.window_id,
        "host": failsafe.host,
        "task_name": failsafe.task_name,
        "task_path": failsafe.task_path,
        "state": failsafe.state.value,
        "fired_at": _iso(failsafe.fired),
        "start": failsafe.armed.get("start"),
        "end": failsafe.armed.get("end"),
        "updated": _iso(failsafe.updated),
    }


def _event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _iso(event.at),
        "kind": event.kind.value,
        "host": event.host,
        "step": event.step,
        "step_index": event.step_index,
        "attempt": event.attempt,
        "status": event.status,
        "detail": dict(event.detail),
    }


def _lock_json(lock: LockView) -> dict[str, Any]:
    holder = lock.holder
    return {
        "run_id": holder.run_id,
        "purpose": holder.purpose.value,
        "user": holder.user,
        "machine": holder.machine,
        "pid": holder.pid,
        "since": _iso(holder.since),
        "deadline": _iso(holder.deadline),
        "lease_expires": _iso(holder.lease_expires),
        "stale": lock.stale,
    }
