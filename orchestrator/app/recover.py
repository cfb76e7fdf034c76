"""Before a run changes anything: make safe what earlier runs of the domain left open.

A run that crashed in a window leaves its changes (Guest enabled) and failsafes behind, and
its lock stale; a run that ended with exit 3 leaves them behind with its lock released. A new
run of the same playbook would find Guest "as wanted", change nothing, and report the window
closed while Guest stays open. So once a run holds the domain's lock (taken over with
--break-lock, or free), every run of the domain that left a change to undo or a failsafe
armed is rolled back first, through this run's fan-out, as `orchestrator rollback RUN` would,
and the run says so. When that cannot complete, the run does not start: it names the hosts
still open and the command that finishes them (exit 3).
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from orchestrator.app.rollback import report, roll_back
from orchestrator.app.session import Session
from orchestrator.engine.fanout import Fanout
from orchestrator.engine.runner import RunResult
from orchestrator.inventory.model import Inventory
from orchestrator.journal import RunRecord, RunStatus
from orchestrator.report.view import when


def recover_left_open(
    session: Session, inventory: Inventory, fanout: Fanout, console: Console
) -> RunResult | None:
    """Roll back what earlier runs of the domain left open; None when nothing stays open,
    else the result of a run that did not start (its hosts still open, by run)."""
    still_open: dict[str, list[str]] = {}
    for record in session.journal.runs_left_open(session.domain_key):
        if record.id == session.run_id:
            continue  # resume: its own windows were rolled back before it runs again
        console.print(_announcement(record, session), highlight=False)
        outcome = roll_back(session.journal, record, inventory, fanout)
        report(console, outcome)
        if not outcome.complete:
            still_open[record.id] = outcome.still_open
    if not still_open:
        return None
    result = RunResult(session.run_id, earlier_open=still_open)
    result.refused = "earlier runs left changes open that could not be rolled back"
    result.rejections = fanout.rejections()
    return result


def _announcement(record: RunRecord, session: Session) -> str:
    taken = session.lock.taken_over
    if taken is not None and taken.run_id == record.id:
        why = "its process is gone and its lock was taken over"
    elif record.status is RunStatus.RUNNING:
        why = "it did not finish"
    else:
        why = f"it ended {record.status.value}"
    minutes = int((datetime.now(UTC) - record.started).total_seconds() // 60)
    started = f"started {when(record.started)}, {minutes} min ago"
    return (
        f"run {record.id} ({why}, {started}) left changes open:"
        f" rolling them back first, as `orchestrator rollback {record.id}` would"
    )
