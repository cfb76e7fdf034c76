"""A journaled session: the run's journal, its lock on the domain, and what to tell the runner.

    with journaled(inventory=..., redactor=..., state=..., break_lock=..., purpose=...) as s:
        runner = Runner(..., journal=s.windows, failsafes=target_failsafes(s.run_id),
                        run_id=s.run_id)
        fanout.events.subscribe(s.observer)
        with s.finishing(lambda: status_of(runner.result)):
            runner.run()

A second run, resume or rollback against the same domain while one holds the lock is refused
(LockHeldError names the holder: exit 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.engine.runner import RunResult
from orchestrator.inventory.model import Inventory
from orchestrator.journal import (
    Journal,
    LockPurpose,
    RunLock,
    RunStatus,
    canonical_json,
    new_run_id,
    state_dir,
)
from orchestrator.journal.adapter import RunJournal
from orchestrator.journal.observer import JournalObserver
from orchestrator.logging import Redactor
from orchestrator.playbook.variables import Var


@dataclass
class Session:
    """An open journal and a held lock for one run id."""

    journal: Journal
    run_id: str
    lock: RunLock
    windows: RunJournal
    observer: JournalObserver

    def finish(self, status: RunStatus) -> None:
        """Record how the run ended."""
        self.journal.finish_run(self.run_id, status)

    @contextmanager
    def finishing(self, status: Callable[[], RunStatus]) -> Iterator[None]:
        """Finish the run when the block ends: with `status()`, or as failed when an error
        ended it (the journal never keeps a run `running` that no process runs)."""
        try:
            yield
        except BaseException:
            self.finish(RunStatus.FAILED)
            raise
        self.finish(status())

    @property
    def domain_key(self) -> str:
        """What the held lock is per."""
        return self.lock.domain_key


def domain_key(inventory: Inventory) -> str:
    """What the run lock is per: the inventory's `domain` variable, else the inventory file."""
    domains = {str(h.vars["domain"]).upper() for h in inventory.hosts if "domain" in h.vars}
    if len(domains) == 1:
        return f"domain:{domains.pop()}"
    return f"inventory:{inventory.path.resolve()}"


def vars_json(extra: Mapping[str, Var]) -> str:
    """The -e values as canonical JSON (they hold no secrets: secrets come from sources)."""
    return canonical_json({name: var.value for name, var in sorted(extra.items())})


@contextmanager
def journaled(
    *,
    inventory: Inventory,
    redactor: Redactor,
    state: Path | None,
    break_lock: bool,
    purpose: LockPurpose,
    run_id: str | None = None,
) -> Iterator[Session]:
    """Open the journal, take the domain's lock (refused if held), and yield the session."""
    journal = Journal.open(state_dir(state), redactor=redactor)
    try:
        chosen = run_id or new_run_id()
        lock = RunLock(journal, domain_key(inventory), run_id=chosen, purpose=purpose)
        with lock.held(break_lock=break_lock):
            yield Session(
                journal,
                chosen,
                lock,
                RunJournal(journal, chosen, lock),
                JournalObserver(journal, chosen),
            )
    finally:
        journal.close()


def status_of(result: RunResult) -> RunStatus:
    """The journal's status for how a run ended."""
    if result.still_open:
        return RunStatus.ROLLBACK_INCOMPLETE
    if result.refused:
        return RunStatus.REFUSED
    if result.windows and any(w.reason for w in result.windows):
        return RunStatus.ROLLED_BACK
    if result.aborted:
        return RunStatus.ABORTED
    return RunStatus.FAILED if result.failed else RunStatus.SUCCEEDED
