"""`orchestrator rollback RUN`: undo all that a run left open, from its journal alone.

For each host, its open changes are undone last first (each undo command runs whatever the
others do), each verified by probing again, then the host's failsafe tasks are disarmed.
Idempotent: what is already undone (by an earlier rollback, or by a failsafe that fired while
the orchestrator was dead) verifies as undone and is recorded so. Exit 0 when nothing is left
open, 3 when a host could not be reverted (its failsafe stays armed).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from orchestrator.commands import Connector, Transport
from orchestrator.engine.failsafe import ArmedFailsafe, disarm, last_run
from orchestrator.engine.hoststep import module_for
from orchestrator.engine.retry import retrying
from orchestrator.engine.step import drive
from orchestrator.engine.window import Change, revert_change
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
from orchestrator.modules.protocol import StepContext
from orchestrator.secrets import REDACTED, Secret, SecretResolver

EXIT_OK = 0
EXIT_INCOMPLETE = 3

ConnectorFactory = Callable[[Inventory, dict[str, tuple[str, Secret]]], Connector]


@dataclass
class HostRollback:
    """How one host's rollback went."""

    host: str
    undone: int = 0
    fired: bool = False
    failed: list[str] = field(default_factory=list)


def rollback_run(
    journal: Journal,
    record: RunRecord,
    *,
    inventory_path: Path | None,
    break_lock: bool,
    console: Console,
    connector_factory: ConnectorFactory | None = None,
) -> int:
    """Undo everything the run left open; 0 when nothing is left, 3 otherwise."""
    changes = journal.open_changes(record.id)
    failsafes = journal.armed_failsafes(record.id)
    if not changes and not failsafes:
        console.print(f"run {record.id}: nothing is open; nothing to roll back", highlight=False)
        _close_windows(journal, record, complete=True)
        return EXIT_OK
    inventory = load_inventory(inventory_path or Path(record.inventory))
    hosts = sorted({c.host for c in changes} | {f.host for f in failsafes})
    credentials = _credentials(inventory, hosts, journal.redactor)
    lock = RunLock(journal, record.domain_key, run_id=record.id, purpose=LockPurpose.ROLLBACK)
    with lock.held(break_lock=break_lock):
        journal.reopen_run(record.id)
        connector = (connector_factory or _psrp)(inventory, credentials)
        try:
            results = _Rollback(journal, inventory, connector).hosts(changes, failsafes, hosts)
        finally:
            connector.close_all()
        complete = not any(r.failed for r in results)
        _close_windows(journal, record, complete=complete)
        journal.finish_run(
            record.id, RunStatus.ROLLED_BACK if complete else RunStatus.ROLLBACK_INCOMPLETE
        )
    _report(console, record, results)
    return EXIT_OK if complete else EXIT_INCOMPLETE


@dataclass
class _Rollback:
    """One rollback: the journal, the run's inventory, and connections to its hosts."""

    journal: Journal
    inventory: Inventory
    connector: Connector

    def hosts(
        self,
        changes: Sequence[ChangeRecord],
        failsafes: Sequence[FailsafeRecord],
        hosts: Sequence[str],
    ) -> list[HostRollback]:
        def one(name: str) -> HostRollback:
            mine = sorted((c for c in changes if c.host == name), key=lambda c: c.id, reverse=True)
            return self.host(name, mine, [f for f in failsafes if f.host == name])

        with ThreadPoolExecutor(max_workers=20) as pool:
            return list(pool.map(one, hosts))

    def host(
        self, name: str, changes: list[ChangeRecord], armed: list[FailsafeRecord]
    ) -> HostRollback:
        result = HostRollback(name)
        host = _host(self.inventory, name)
        if host is None:
            result.failed.append(
                f"{name} is not in the inventory: pass the run's inventory with -i"
            )
            return result
        try:
            transport = self.connector.transport(host)
            result.fired = any(_fired(f, transport) for f in armed)
            for change in changes:
                self.undo(change, transport, result)
            if not result.failed:
                for failsafe in armed:
                    _disarm(self.journal, failsafe, transport)
        except OrchestratorError as exc:
            result.failed.append(f"{name}: {exc}; its failsafe task stays armed")
        return result

    def undo(self, change: ChangeRecord, transport: Transport, result: HostRollback) -> None:
        module = module_for(change.module)
        revert = Change(change.id, change.host, change.step, change.module, _args(change),
                        change.before, change.undo or ())  # fmt: skip
        logic = revert_change(revert, module, StepContext(change.host))
        outcome = _retry(lambda: drive(logic, transport, sleep=time.sleep))
        if outcome.verified:
            state = ChangeState.FAILSAFE_FIRED if result.fired else ChangeState.UNDONE
            self.journal.mark(change.id, state)
            result.undone += 1
        else:
            self.journal.mark(change.id, ChangeState.UNDO_FAILED, error=outcome.detail)
            result.failed.append(f"{change.host}: '{change.step}' not undone ({outcome.detail})")


def _fired(failsafe: FailsafeRecord, transport: Transport) -> bool:
    run = drive(last_run(ArmedFailsafe.from_json(failsafe.armed)), transport, sleep=time.sleep)
    return run is not None and run.succeeded


def _disarm(journal: Journal, failsafe: FailsafeRecord, transport: Transport) -> None:
    armed = ArmedFailsafe.from_json(failsafe.armed)
    _retry(lambda: drive(disarm(armed), transport, sleep=time.sleep))
    journal.mark_failsafe(failsafe.window_id, failsafe.host, FailsafeState.DISARMED)


def _args(change: ChangeRecord) -> ArgsModel:
    """The step's arguments as journaled; secret fields (never journaled) are left out."""
    data = {k: v for k, v in change.args.items() if v != REDACTED}
    return MODULES[change.module].args.model_validate(data)


def _close_windows(journal: Journal, record: RunRecord, *, complete: bool) -> None:
    status = WindowStatus.CLOSED if complete else WindowStatus.ROLLBACK_INCOMPLETE
    for window in journal.open_windows(record.id):
        journal.close_window(window.id, status)


def _credentials(
    inventory: Inventory, hosts: Sequence[str], redactor: Redactor | None
) -> dict[str, tuple[str, Secret]]:
    chosen = [h for h in inventory.hosts if h.name in hosts]
    secrets = SecretResolver(interactive=sys.stdin.isatty()).resolve(
        list(inventory.secret_requests(chosen))
    )
    if redactor is not None:
        redactor.add(*secrets.values())
    return {
        name: (cred.username, secrets[cred.secret_name])
        for name, cred in inventory.credentials.items()
        if cred.secret_name in secrets
    }


def _host(inventory: Inventory, name: str) -> Host | None:
    return next((h for h in inventory.hosts if h.name == name), None)


def _psrp(inventory: Inventory, credentials: dict[str, tuple[str, Secret]]) -> Connector:
    from orchestrator.transport.psrp import PsrpConnector

    return PsrpConnector(inventory, credentials)


def _retry(action: Callable[[], Any]) -> Any:
    return retrying(None, (), sleep=time.sleep)(action)


def _report(console: Console, record: RunRecord, results: Sequence[HostRollback]) -> None:
    for result in results:
        how = " (its failsafe had already fired)" if result.fired else ""
        if result.failed:
            for line in result.failed:
                console.print(f"[bold red]still open[/] {line}", highlight=False)
        else:
            count = f"{result.undone} changes undone and verified"
            console.print(f"[green]rolled back[/] {result.host}: {count}{how}", highlight=False)
    done = not any(r.failed for r in results)
    verdict = (
        "nothing is left open"
        if done
        else "rollback incomplete: the failsafe tasks of the hosts above stay armed"
    )
    console.print(f"run {record.id}: {verdict}", highlight=False)
