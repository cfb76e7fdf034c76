"""`orchestrator rollback RUN`: undo all that a run left open, from its journal alone.

For each host, its open changes are undone last first (each undo command runs whatever the
others do), each verified by probing again, then the host's failsafe tasks are disarmed.
Idempotent: what is already undone (by an earlier rollback, or by a failsafe that fired while
the orchestrator was dead) verifies as undone and is recorded so. Hosts are reached through
the command's fan-out (its preflight, its breaker): a wrong password costs one failed logon,
not one per host. Exit 0 when nothing is left open, 3 when a host could not be reverted (its
failsafe stays armed), 5 when a credential was rejected.

`roll_back` is the part other commands compose: `resume` before it runs the playbook again,
and `run` when the lock it took over belonged to a run that left a window open.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from orchestrator.app.preparation import announce
from orchestrator.app.reach import ConnectorFactory, Credentials, open_fanout
from orchestrator.commands import Transport
from orchestrator.engine.breaker import Rejection
from orchestrator.engine.failsafe import ArmedFailsafe, disarm, last_run
from orchestrator.engine.failsafe_clock import parse_reading
from orchestrator.engine.fanout import Fanout
from orchestrator.engine.hoststep import module_for
from orchestrator.engine.retry import retrying
from orchestrator.engine.step import drive
from orchestrator.engine.window import Change
from orchestrator.engine.windowrun import undo_verified
from orchestrator.errors import OrchestratorError
from orchestrator.inventory.loader import load_inventory
from orchestrator.inventory.model import Host, Inventory
from orchestrator.journal import (
    ChangeRecord,
    ChangeState,
    FailsafeRecord,
    FailsafeState,
    Journal,
    LockPurpose,
    RunLock,
    RunRecord,
    RunStatus,
    WindowStatus,
)
from orchestrator.logging import Redactor
from orchestrator.modules import MODULES
from orchestrator.modules.base import ArgsModel
from orchestrator.secrets import REDACTED, SecretResolver

EXIT_OK = 0
EXIT_INCOMPLETE = 3
EXIT_AUTH = 5


@dataclass
class HostRollback:
    """How one host's rollback went."""

    host: str
    undone: int = 0
    fired: bool = False
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RollbackOutcome:
    """How rolling back one run went, host by host."""

    run_id: str
    hosts: list[HostRollback]
    rejections: list[Rejection]

    @property
    def complete(self) -> bool:
        """True when nothing of the run is left open."""
        return not any(h.failed for h in self.hosts)

    @property
    def still_open(self) -> list[str]:
        """The hosts whose changes or failsafes are still there."""
        return [h.host for h in self.hosts if h.failed]

    @property
    def exit_code(self) -> int:
        """0 nothing left open, 5 a credential was rejected, 3 otherwise."""
        if self.complete:
            return EXIT_OK
        return EXIT_AUTH if self.rejections else EXIT_INCOMPLETE


def rollback_run(
    journal: Journal,
    record: RunRecord,
    *,
    inventory_path: Path | None,
    break_lock: bool,
    console: Console,
    forks: int | None = None,
    workers: int | None = None,
    factory: ConnectorFactory | None = None,
    fanout: Fanout | None = None,
) -> int:
    """Undo everything the run left open under the domain's lock; the exit code.

    fanout: the calling command's (resume); else one is opened with the run's credentials.
    """
    if not journal.open_changes(record.id) and not journal.armed_failsafes(record.id):
        console.print(f"run {record.id}: nothing is open; nothing to roll back", highlight=False)
        close_windows(journal, record, complete=True)
        return EXIT_OK
    inventory = load_inventory(inventory_path or Path(record.inventory))
    lock = RunLock(journal, record.domain_key, run_id=record.id, purpose=LockPurpose.ROLLBACK)
    with lock.held(break_lock=break_lock):
        if fanout is not None:
            outcome = roll_back(journal, record, inventory, fanout)
        else:
            credentials = _credentials(inventory, _open_hosts(journal, record), journal.redactor)
            with open_fanout(
                inventory, credentials, forks=forks, workers=workers, factory=factory
            ) as own:
                outcome = roll_back(journal, record, inventory, own)
    report(console, outcome)
    return outcome.exit_code


def roll_back(
    journal: Journal, record: RunRecord, inventory: Inventory, fanout: Fanout
) -> RollbackOutcome:
    """Undo what the run left open, through the command's fan-out (the caller holds the
    domain's lock); the journal records every undo, window and the run's new status."""
    changes = journal.open_changes(record.id)
    failsafes = journal.armed_failsafes(record.id)
    names = _open_hosts(journal, record)
    journal.reopen_run(record.id)
    found = [h for h in inventory.hosts if h.name in names]
    results = [_not_in_inventory(n) for n in names if n not in {h.name for h in found}]
    fanout.preflight(found)
    worker = _HostReverter(journal, fanout, changes, failsafes)
    results += fanout.map(found, worker.revert)
    outcome = RollbackOutcome(record.id, results, fanout.rejections())
    close_windows(journal, record, complete=outcome.complete)
    journal.finish_run(
        record.id, RunStatus.ROLLED_BACK if outcome.complete else RunStatus.ROLLBACK_INCOMPLETE
    )
    return outcome


def _open_hosts(journal: Journal, record: RunRecord) -> list[str]:
    changes = journal.open_changes(record.id)
    failsafes = journal.armed_failsafes(record.id)
    return sorted({c.host for c in changes} | {f.host for f in failsafes})


def _not_in_inventory(name: str) -> HostRollback:
    return HostRollback(
        name, failed=[f"{name} is not in the inventory: pass the run's inventory with -i"]
    )


@dataclass
class _HostReverter:
    """Reverts one host's part of a run: undo (last first), verify, disarm."""

    journal: Journal
    fanout: Fanout
    changes: Sequence[ChangeRecord]
    failsafes: Sequence[FailsafeRecord]

    def revert(self, host: Host) -> HostRollback:
        result = HostRollback(host.name)
        exclusion = self.fanout.exclusion(host)
        if exclusion is not None:
            result.failed.append(f"{host.name}: {exclusion.reason}; its failsafe task stays armed")
            return result
        mine = sorted((c for c in self.changes if c.host == host.name), key=lambda c: -c.id)
        armed = [f for f in self.failsafes if f.host == host.name]
        try:
            transport = self.fanout.transport(host)
            fired = [f for f in armed if self._found_fired(f, transport)]
            result.fired = bool(fired)
            for change in mine:
                self._undo(change, transport, result)
            if not result.failed:
                for failsafe in armed:
                    _disarm(self.journal, failsafe, transport, record=failsafe not in fired)
        except OrchestratorError as exc:
            result.failed.append(f"{host.name}: {exc}; its failsafe task stays armed")
        return result

    def _undo(self, change: ChangeRecord, transport: Transport, result: HostRollback) -> None:
        revert = Change(change.id, change.host, change.step, change.module, _args(change),
                        change.before, change.undo or ())  # fmt: skip
        outcome = undo_verified(revert, module_for(change.module), transport)
        if outcome.verified:
            state = ChangeState.FAILSAFE_FIRED if result.fired else ChangeState.UNDONE
            self.journal.mark(change.id, state)
            result.undone += 1
        else:
            self.journal.mark(change.id, ChangeState.UNDO_FAILED, error=outcome.detail)
            result.failed.append(f"{change.host}: '{change.step}' not undone ({outcome.detail})")

    def _found_fired(self, failsafe: FailsafeRecord, transport: Transport) -> bool:
        """Whether the task ran and undid its changes; journaled at once (`show` says so),
        whatever the undo that follows does."""
        at = _fired_at(failsafe, transport)
        if at is not None:
            self.journal.mark_failsafe(
                failsafe.window_id, failsafe.host, FailsafeState.FIRED, fired=at
            )
        return at is not None


def _fired_at(failsafe: FailsafeRecord, transport: Transport) -> datetime | None:
    """When the failsafe task ran successfully, on the orchestrator's clock; None if it did not."""
    armed = ArmedFailsafe.from_json(failsafe.armed)
    run = drive(last_run(armed), transport, sleep=time.sleep)
    if run is None or not run.succeeded or run.last_run_time is None:
        return None
    # the host's clock: minus the skew measured when the task was armed (a reading without an
    # offset is in the orchestrator's zone, as failsafe_clock takes it)
    return parse_reading(run.last_run_time).astimezone(UTC) - armed.skew


def _disarm(
    journal: Journal, failsafe: FailsafeRecord, transport: Transport, *, record: bool
) -> None:
    """Remove the task; `record`: journal it disarmed (a fired one stays journaled fired)."""
    armed = ArmedFailsafe.from_json(failsafe.armed)
    _retry(lambda: drive(disarm(armed), transport, sleep=time.sleep))
    if record:
        journal.mark_failsafe(failsafe.window_id, failsafe.host, FailsafeState.DISARMED)


def _args(change: ChangeRecord) -> ArgsModel:
    """The step's arguments as journaled; secret fields (never journaled) are left out."""
    data = {k: v for k, v in change.args.items() if v != REDACTED}
    return MODULES[change.module].args.model_validate(data)


def close_windows(journal: Journal, record: RunRecord, *, complete: bool) -> None:
    """Close the run's open windows: closed, or rollback_incomplete."""
    status = WindowStatus.CLOSED if complete else WindowStatus.ROLLBACK_INCOMPLETE
    for window in journal.open_windows(record.id):
        journal.close_window(window.id, status)


def _credentials(
    inventory: Inventory, hosts: Sequence[str], redactor: Redactor | None
) -> Credentials:
    chosen = [h for h in inventory.hosts if h.name in hosts]
    secrets = SecretResolver(interactive=sys.stdin.isatty()).resolve(
        list(inventory.secret_requests(chosen))
    )
    if redactor is not None:
        redactor.add(*secrets.values())
    announce(chosen)
    return {
        name: (cred.username, secrets[cred.secret_name])
        for name, cred in inventory.credentials.items()
        if cred.secret_name in secrets
    }


def _retry(action: Callable[[], Any]) -> Any:
    return retrying(None, (), sleep=time.sleep)(action)


def report(console: Console, outcome: RollbackOutcome) -> None:
    """Each host's rollback, then the verdict."""
    for rejection in outcome.rejections:
        console.print(f"[bold red]authentication failed:[/] {rejection.explain()}", highlight=False)
    for result in outcome.hosts:
        how = " (its failsafe had already fired)" if result.fired else ""
        if result.failed:
            for line in result.failed:
                console.print(f"[bold red]still open[/] {line}", highlight=False)
        else:
            count = f"{result.undone} changes undone and verified"
            console.print(f"[green]rolled back[/] {result.host}: {count}{how}", highlight=False)
    verdict = (
        "nothing is left open"
        if outcome.complete
        else "rollback incomplete: the failsafe tasks of the hosts above stay armed"
    )
    console.print(f"run {outcome.run_id}: {verdict}", highlight=False)
