"""The journal of one run, in the shape the window engine writes it.

`RunJournal` implements `orchestrator.engine.windowrun.WindowJournal` (structurally): pass it
to the Runner and every window, change and failsafe of the run is journaled before it happens,
and the run lock shows each window's deadline while the window is open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from orchestrator.engine.window import PendingChange
from orchestrator.journal.journal import Journal
from orchestrator.journal.lock import RunLock
from orchestrator.journal.records import ChangeState, FailsafeState, WindowStatus


class Armed(Protocol):
    """What the journal reads of an armed failsafe (engine.failsafe.ArmedFailsafe)."""

    @property
    def task_name(self) -> str:
        """The scheduled task's name."""
        ...

    @property
    def task_path(self) -> str:
        """The scheduled task's folder."""
        ...

    def to_json(self) -> dict[str, Any]:
        """All of it as JSON data, for a later rollback to disarm or inspect."""
        ...


class RunJournal:
    """Journal writes of one run, bound to its id (and its lock, to show window deadlines)."""

    def __init__(self, journal: Journal, run_id: str, lock: RunLock | None = None) -> None:
        self.journal = journal
        self.run_id = run_id
        self.lock = lock

    def open_window(self, name: str, deadline: datetime, failsafe: str) -> int:
        """Record the window as open and show its deadline on the run lock."""
        window_id = self.journal.open_window(self.run_id, name, deadline, failsafe)
        if self.lock is not None:
            self.lock.set_deadline(deadline)
        return window_id

    def record_intent(self, window_id: int | None, change: PendingChange, step_index: int) -> int:
        """Record a change and its undo before it is made (window_id None: outside windows)."""
        return self.journal.record_intent(
            self.run_id,
            host=change.host,
            step=change.step,
            step_index=step_index,
            module=change.module,
            args=change.args.model_dump(),  # Secret fields dump as ********
            before=change.diff.before,
            after=change.diff.after,
            undo=change.undo,
            window_id=window_id,
        )

    def mark_change(self, change_id: int, state: str) -> None:
        """applied, undone, undo_failed or failsafe_fired."""
        self.journal.mark(change_id, ChangeState(state))

    def record_failsafe(self, window_id: int, host: str, armed: Armed) -> None:
        """Keep the host's armed failsafe, so a later rollback can disarm it."""
        self.journal.record_failsafe(
            window_id, host, task_name=armed.task_name, task_path=armed.task_path,
            armed=armed.to_json(),
        )  # fmt: skip

    def failsafe_disarmed(self, window_id: int, host: str) -> None:
        """The host's failsafe task was removed after a verified revert."""
        self.journal.mark_failsafe(window_id, host, FailsafeState.DISARMED)

    def close_window(self, window_id: int, status: str) -> None:
        """closed or rollback_incomplete; a closed window's deadline leaves the run lock (an
        incomplete one keeps it: its failsafes still fire then)."""
        window_status = WindowStatus(status)
        self.journal.close_window(window_id, window_status)
        if self.lock is not None and window_status is WindowStatus.CLOSED:
            self.lock.set_deadline(None)
