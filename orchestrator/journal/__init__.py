"""The crash-safe journal (SQLite, WAL, synchronous=FULL) and the per-domain run lock.

    journal = Journal.open(state_dir(cli_value), redactor=prepared.redactor)
    lock = RunLock(journal, domain_key, run_id=run_id, purpose=LockPurpose.RUN)
    with lock.held(break_lock=break_lock):            # LockHeldError names the holder
        run = journal.start_run(playbook=..., inventory=..., vars_json=..., domain_key=...,
                                run_id=run_id)
        window_id = journal.open_window(run.id, "guest-access", deadline, "target")
        lock.set_deadline(deadline)
        change_id = journal.record_intent(run.id, host=..., undo=commands, window_id=window_id,
                                          ...)       # durable before the change is made
        ...apply...
        journal.mark(change_id, ChangeState.APPLIED)
    journal.close()

Only this package writes to disk; no secret is ever written (see journal.py). Integration
pieces, imported on their own so this package does not pull in the engine:
`adapter.RunJournal` (the window engine's WindowJournal), `observer.JournalObserver` (an
EventBus observer filling the timeline) and `cli.register` (`orchestrator runs` and `show`).
"""

from orchestrator.journal.codec import canonical_json, decode_commands, encode_commands
from orchestrator.journal.errors import JournalError, JournalVersionError, SecretInJournalError
from orchestrator.journal.identity import Identity, new_run_id, pid_alive
from orchestrator.journal.journal import Journal, file_digest
from orchestrator.journal.lock import (
    LockHeldError,
    LockHolder,
    LockLostError,
    LockPurpose,
    RunLock,
    current_holder,
)
from orchestrator.journal.paths import STATE_DIR_ENV, journal_path, state_dir
from orchestrator.journal.records import (
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

__all__ = [
    "STATE_DIR_ENV",
    "ChangeRecord",
    "ChangeState",
    "EventKind",
    "EventRecord",
    "FailsafeRecord",
    "FailsafeState",
    "Identity",
    "Journal",
    "JournalError",
    "JournalVersionError",
    "LockHeldError",
    "LockHolder",
    "LockLostError",
    "LockPurpose",
    "RunLock",
    "RunRecord",
    "RunStatus",
    "SecretInJournalError",
    "WindowRecord",
    "WindowStatus",
    "canonical_json",
    "current_holder",
    "decode_commands",
    "encode_commands",
    "file_digest",
    "journal_path",
    "new_run_id",
    "pid_alive",
    "state_dir",
]
