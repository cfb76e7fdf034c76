"""`orchestrator resume RUN`: make the run's open windows safe, then finish what it started.

Resume refuses (exit 4) when the playbook, the inventory or the -e values differ from what
the run was started with: continuing someone else's run with other inputs is a new run.
Every window still open is rolled back first (as `rollback` does). Then the playbook runs
again under the same run id, skipping each host x step the journal records as finished; a
window's steps run again from its start, since its changes were undone.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from orchestrator.app.preparation import Prepared, Request, load, prepare
from orchestrator.app.reach import ConnectorFactory, open_fanout
from orchestrator.app.rollback import rollback_run
from orchestrator.app.run import RunOptions, configure_logs, run_prepared
from orchestrator.app.session import vars_json
from orchestrator.errors import RefusedError
from orchestrator.journal import Journal, RunRecord, RunStatus, file_digest, state_dir
from orchestrator.modules import MODULES
from orchestrator.playbook.model import Step


def resume(
    run_id: str,
    extra_vars: tuple[str, ...],
    options: RunOptions,
    *,
    console: Console,
    factory: ConnectorFactory | None = None,
) -> int:
    """Roll back what is open, then continue the run from its first unfinished host x step.

    Both phases share one preparation (secrets asked for once) and one fan-out (a rejected
    credential stops the command after one failed logon)."""
    with Journal.open(state_dir(options.state_dir)) as journal:
        record = journal.run(run_id)
        if record.status is RunStatus.SUCCEEDED:
            console.print(f"run {record.id} succeeded: nothing to resume", highlight=False)
            return 0
        request = Request(Path(record.playbook), Path(record.inventory), extra_vars)
        _refuse_if_changed(record, request)
        prepared = prepare(request, interactive=sys.stdin.isatty())
        configure_logs(prepared, options, console)  # before the rollback reaches any host
        journal.redactor.add(
            *prepared.secrets.values(), *(password for _, password in prepared.credentials.values())
        )
        forks = options.forks or prepared.playbook.forks
        fanout = open_fanout(
            prepared.inventory,
            prepared.credentials,
            forks=forks,
            workers=options.workers,
            factory=factory,
        )
        with fanout:
            code = rollback_run(
                journal,
                record,
                inventory_path=None,
                break_lock=options.break_lock,
                console=console,
                fanout=fanout,
            )
            if code != 0:
                return code
            finished = journal.finished_steps(record.id)
            skip = _skippable(prepared, finished)
            console.print(
                f"resuming run {record.id}: {len(skip)} host x step results kept from before",
                highlight=False,
            )
            resumed = replace(options, skip=frozenset(skip), resume_of=record.id)
            return run_prepared(prepared, resumed, console=console, fanout=fanout)


def _refuse_if_changed(record: RunRecord, request: Request) -> None:
    changed = [
        what
        for what, path, digest in (
            ("the playbook", request.playbook, record.playbook_digest),
            ("the inventory", request.inventory, record.inventory_digest),
        )
        if not path.is_file() or file_digest(path) != digest
    ]
    _, _, binder, _ = load(request)
    given = hashlib.sha256(vars_json(binder.extra_vars).encode()).hexdigest()
    if given != record.vars_digest:
        changed.append("the -e values")
    if changed:
        raise RefusedError(
            f"run {record.id} cannot be resumed: {' and '.join(changed)} changed since it started"
            " (give the same -e values; or roll it back and start a new run)"
        )


def _skippable(prepared: Prepared, finished: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Finished host x steps outside windows (a window's steps run again after its rollback);
    a step that only reads (a probe, a precondition, a wait) or registers what it read runs
    again too: what it read may have changed, and the steps after it need its values."""
    steps = prepared.binding.steps
    again = {i for i, (step, _) in enumerate(steps) if _runs_again(step)}
    return {(host, index) for host, index in finished if index not in again}


def _runs_again(step: Step) -> bool:
    reads = getattr(MODULES[step.module].implementation, "read_only", False)
    return step.window is not None or step.register_as is not None or reads
