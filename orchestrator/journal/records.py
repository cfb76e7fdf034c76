"""What the journal holds, as frozen values; statuses are Enums stored as their text."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestrator.commands import Command


class RunStatus(enum.StrEnum):
    """Where a run stands. `running` with its process gone means it crashed."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_INCOMPLETE = "rollback_incomplete"
    REFUSED = "refused"
    ABORTED = "aborted"


class WindowStatus(enum.StrEnum):
    """A rollback window's state; only `closed` means nothing of it is left to undo."""

    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    ROLLBACK_INCOMPLETE = "rollback_incomplete"


class ChangeState(enum.StrEnum):
    """A change's life: journaled as intent, then applied, then undone (or not)."""

    INTENT = "intent"
    APPLIED = "applied"
    UNDONE = "undone"
    UNDO_FAILED = "undo_failed"
    FAILSAFE_FIRED = "failsafe_fired"


# A change still to undo: applied, or maybe applied (intent: the process may have died
# mid-apply; undo restores the probed state, so undoing a never-applied change is harmless),
# or its undo failed. `failsafe_fired` means the target undid it itself.
OPEN_CHANGE_STATES = (ChangeState.INTENT, ChangeState.APPLIED, ChangeState.UNDO_FAILED)

# Which state may follow which; re-marking the same state is allowed (idempotent rollback).
CHANGE_TRANSITIONS: Mapping[ChangeState, frozenset[ChangeState]] = {
    ChangeState.INTENT: frozenset(ChangeState),
    ChangeState.APPLIED: frozenset(ChangeState) - {ChangeState.INTENT},
    ChangeState.UNDO_FAILED: frozenset(
        {ChangeState.UNDONE, ChangeState.UNDO_FAILED, ChangeState.FAILSAFE_FIRED}
    ),
    ChangeState.FAILSAFE_FIRED: frozenset(
        {ChangeState.FAILSAFE_FIRED, ChangeState.UNDONE, ChangeState.UNDO_FAILED}
    ),
    ChangeState.UNDONE: frozenset({ChangeState.UNDONE}),
}


class FailsafeState(enum.StrEnum):
    """A host's failsafe task in a window: armed until disarmed (or it fired by itself)."""

    ARMED = "armed"
    DISARMED = "disarmed"
    FIRED = "fired"


class EventKind(enum.StrEnum):
    """What an event row records."""

    RUN_STARTED = "run_started"
    STEP_STARTED = "step_started"
    HOST_STEP_STARTED = "host_step_started"
    HOST_STEP_FINISHED = "host_step_finished"
    RETRYING = "retrying"
    PROGRESS = "progress"
    CREDENTIAL_REJECTED = "credential_rejected"
    STEP_FINISHED = "step_finished"
    WINDOW_OPENED = "window_opened"
    WINDOW_CLOSING = "window_closing"
    WINDOW_CLOSED = "window_closed"
    UNDO = "undo"
    FAILSAFE = "failsafe"
    LOCK = "lock"
    RUN_ABORTED = "run_aborted"
    RUN_FINISHED = "run_finished"
    NOTE = "note"


# A host x step is finished for `resume` when its last result is one of these (an ignored
# failure counts too: the playbook said to go on).
FINISHED_STEP_STATUSES = frozenset({"ok", "changed", "skipped"})


@dataclass(frozen=True)
class RunRecord:
    """One run: what was run (paths and digests), against which domain, by whom, and how."""

    id: str
    playbook: str
    playbook_digest: str
    inventory: str
    inventory_digest: str
    vars_digest: str
    domain_key: str
    user: str
    machine: str
    pid: int
    started: datetime
    ended: datetime | None
    status: RunStatus


@dataclass(frozen=True)
class EventRecord:
    """One entry of a run's timeline. detail holds summary, error_id, error (no secrets)."""

    id: int
    run_id: str
    at: datetime
    kind: EventKind
    host: str
    step: str
    step_index: int | None
    attempt: int
    status: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class WindowRecord:
    """A rollback window of a run; deadline in UTC."""

    id: int
    run_id: str
    name: str
    deadline: datetime
    failsafe: str
    opened: datetime
    closed: datetime | None
    status: WindowStatus


@dataclass(frozen=True)
class ChangeRecord:
    """One change to one host, journaled before it was made, with what undoes it.

    undo is None for an irreversible change; args, before and after hold no secret values.
    """

    id: int
    run_id: str
    window_id: int | None
    host: str
    step: str
    step_index: int
    module: str
    args: Mapping[str, Any]
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    undo: tuple[Command, ...] | None
    failsafe_task: str | None
    failsafe_path: str | None
    state: ChangeState
    error: str
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class FailsafeRecord:
    """The failsafe task armed on one host for one window; `armed` is what the failsafe
    engine gave (ArmedFailsafe.to_json(): task, boundaries, skew, commands), kept exactly."""

    id: int
    run_id: str
    window_id: int
    host: str
    task_name: str
    task_path: str
    armed: Mapping[str, Any]
    state: FailsafeState
    created: datetime
    updated: datetime
    fired: datetime | None = None  # when it ran, on the orchestrator's clock (state `fired`)
