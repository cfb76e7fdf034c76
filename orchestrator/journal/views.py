"""What `runs` and `show` display, derived from journal records (pure, apart from `gather_*`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from orchestrator.journal.identity import pid_alive
from orchestrator.journal.journal import Journal
from orchestrator.journal.lock import LockHolder, current_holder, stale_reason
from orchestrator.journal.records import (
    ChangeRecord,
    EventKind,
    EventRecord,
    FailsafeRecord,
    RunRecord,
    RunStatus,
    WindowRecord,
)


@dataclass(frozen=True)
class RunView:
    """A run as `runs` lists it."""

    run: RunRecord
    open_windows: tuple[WindowRecord, ...]
    process_gone: bool  # "running", but its process no longer exists: it crashed


@dataclass(frozen=True)
class StepRow:
    """One step on one host: its last known status."""

    index: int | None
    step: str
    host: str
    status: str
    attempts: int
    summary: str
    error_id: str
    error: str


@dataclass(frozen=True)
class LockView:
    """The domain's run lock, if held, and why it is stale (None: live)."""

    holder: LockHolder
    stale: str | None


@dataclass(frozen=True)
class RunDetail:
    """Everything `show` prints about one run."""

    view: RunView
    steps: tuple[StepRow, ...]
    windows: tuple[WindowRecord, ...]
    open_changes: tuple[ChangeRecord, ...]
    failsafes: tuple[FailsafeRecord, ...]
    events: tuple[EventRecord, ...]
    lock: LockView | None


def gather_runs(journal: Journal, limit: int, machine: str) -> list[RunView]:
    """The most recent runs with their open windows."""
    return [_view(journal, run, machine) for run in journal.runs(limit)]


def gather_detail(journal: Journal, run: RunRecord, machine: str, now: datetime) -> RunDetail:
    """One run's record, steps, windows, what is still open, and its domain's lock."""
    events = journal.timeline(run.id)
    holder = current_holder(journal, run.domain_key)
    lock = (
        None if holder is None else LockView(holder, stale_reason(holder, now, machine, pid_alive))
    )
    return RunDetail(
        view=_view(journal, run, machine),
        steps=tuple(step_rows(events)),
        windows=tuple(journal.windows(run.id)),
        open_changes=tuple(journal.open_changes(run.id)),
        failsafes=tuple(journal.failsafes(run.id)),
        events=tuple(events),
        lock=lock,
    )


def _view(journal: Journal, run: RunRecord, machine: str) -> RunView:
    return RunView(run, tuple(journal.open_windows(run.id)), process_gone(run, machine, pid_alive))


def process_gone(run: RunRecord, machine: str, alive: Callable[[int], bool]) -> bool:
    """A run still marked running whose process on this machine is gone."""
    return run.status is RunStatus.RUNNING and run.machine == machine and not alive(run.pid)


def step_rows(events: Sequence[EventRecord]) -> list[StepRow]:
    """The last status of each step on each host, in the order steps started."""
    rows: dict[tuple[int | None, str, str], StepRow] = {}
    for event in events:
        if event.kind in (EventKind.HOST_STEP_STARTED, EventKind.HOST_STEP_FINISHED):
            key = (event.step_index, event.step, event.host)
            rows[key] = _row(event, rows.get(key))
    return list(rows.values())


def _row(event: EventRecord, before: StepRow | None) -> StepRow:
    started = event.kind is EventKind.HOST_STEP_STARTED
    detail = event.detail
    return StepRow(
        index=event.step_index,
        step=event.step,
        host=event.host,
        status="started" if started else event.status,
        attempts=max(event.attempt, before.attempts if before else 0),
        summary=str(detail.get("summary", "")),
        error_id=str(detail.get("error_id", "")),
        error=str(detail.get("error", "")),
    )
