"""RunJournal: the window engine's journal interface, writing one run's windows and changes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from orchestrator.commands import Command
from orchestrator.engine.failsafe import ArmedFailsafe
from orchestrator.engine.window import PendingChange
from orchestrator.engine.windowrun import WindowJournal
from orchestrator.journal import (
    ChangeState,
    FailsafeState,
    Identity,
    Journal,
    RunLock,
    WindowStatus,
    current_holder,
)
from orchestrator.journal.adapter import Armed as ArmedProtocol
from orchestrator.journal.adapter import RunJournal
from orchestrator.modules.local_user import Args
from orchestrator.modules.protocol import Diff, DiffKind
from orchestrator.secrets import Secret

from .conftest import T0, start_run

UNDO = (Command.of("Disable-LocalUser", mutating=True, SID="S-1-5-21-9-501"),)


@dataclass(frozen=True)
class Armed:
    """An armed failsafe as the failsafe engine returns it (its JSON, task name and path)."""

    task_name: str = "orchestrator-failsafe-1"
    task_path: str = "\\orchestrator\\"

    def to_json(self) -> dict[str, Any]:
        return {"task_name": self.task_name, "task_path": self.task_path, "commands": []}


def _pending(host: str) -> PendingChange:
    args = Args(name="svc-new", enabled=True, password=Secret("never-written"))
    diff = Diff(DiffKind.CHANGE, "enable Guest", {"enabled": False}, {"enabled": True})
    return PendingChange(host, "Enable Guest", "local_user", args, diff, UNDO)


def test_the_window_engine_writes_a_window_through_run_journal(
    journal: Journal, tmp_path: Path
) -> None:
    """Open, intent, applied, failsafe, undone, close: the journal holds it all, the lock the deadline."""
    run = start_run(journal, tmp_path)
    lock = RunLock(journal, "lab", run_id=run.id, identity=Identity("alice", "jump01", os.getpid()))
    lock.acquire()
    engine_journal: WindowJournal = RunJournal(journal, run.id, lock)  # mypy checks the protocol
    deadline = T0 + timedelta(hours=2)
    window = engine_journal.open_window("guest-access", deadline, "target")
    holder = current_holder(journal, "lab")
    assert holder is not None
    assert holder.deadline == deadline
    change = engine_journal.record_intent(window, _pending("cap1"), 1)
    engine_journal.record_failsafe(window, "cap1", Armed())
    engine_journal.mark_change(change, "applied")
    (record,) = journal.open_changes(run.id)
    assert (record.host, record.step_index, record.window_id, record.undo) == (
        "cap1",
        1,
        window,
        UNDO,
    )
    assert record.args["password"] == "********"
    assert record.failsafe_task == "orchestrator-failsafe-1"
    engine_journal.mark_change(change, "undone")
    engine_journal.close_window(window, "closed")
    assert journal.open_changes(run.id) == []
    assert journal.windows(run.id)[0].status is WindowStatus.CLOSED
    assert (
        journal.failsafes(run.id)[0].state is FailsafeState.ARMED
    )  # disarming is the engine's to record
    holder = current_holder(journal, "lab")
    assert holder is not None
    assert holder.deadline is None


def test_an_incomplete_window_keeps_its_deadline_on_the_lock(
    journal: Journal, tmp_path: Path
) -> None:
    """A window closed as rollback_incomplete leaves the deadline on the lock: its failsafes fire then."""
    run = start_run(journal, tmp_path)
    lock = RunLock(journal, "lab", run_id=run.id)
    lock.acquire()
    adapter = RunJournal(journal, run.id, lock)
    window = adapter.open_window("guest-access", T0 + timedelta(hours=2), "target")
    change = adapter.record_intent(window, _pending("cap1"), 1)
    adapter.mark_change(change, "undo_failed")
    adapter.close_window(window, "rollback_incomplete")
    holder = current_holder(journal, "lab")
    assert holder is not None
    assert holder.deadline == T0 + timedelta(hours=2)
    assert [c.state for c in journal.open_changes(run.id)] == [ChangeState.UNDO_FAILED]


def test_changes_outside_windows_are_journaled_too(journal: Journal, tmp_path: Path) -> None:
    """record_intent with no window journals the change for resume, without a window."""
    run = start_run(journal, tmp_path)
    adapter = RunJournal(journal, run.id)
    change = adapter.record_intent(None, _pending("dc1"), 0)
    adapter.mark_change(change, "applied")
    assert journal.changes(run.id)[0].window_id is None
    assert journal.finished_steps(run.id) == {("dc1", 0)}


def test_the_failsafe_engines_armed_record_fits(journal: Journal, tmp_path: Path) -> None:
    """A real ArmedFailsafe is what RunJournal reads (mypy checks the shape) and its JSON is kept."""
    armed = ArmedFailsafe(
        "cap1", "orchestrator-failsafe-x", "\\orchestrator\\", T0, T0, T0 + timedelta(days=1),
        timedelta(seconds=3), UNDO,
    )  # fmt: skip
    readable: ArmedProtocol = armed
    run = start_run(journal, tmp_path)
    adapter = RunJournal(journal, run.id)
    window = adapter.open_window("guest-access", T0 + timedelta(hours=2), "target")
    adapter.record_failsafe(window, "cap1", readable)
    (kept,) = journal.failsafes(run.id)
    assert ArmedFailsafe.from_json(kept.armed) == armed
