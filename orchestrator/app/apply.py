"""`orchestrator run --plan FILE`: run exactly a saved plan, or refuse.

Refused as a whole (exit 4) when the playbook, the inventory, the -e values or --limit differ
from what was planned. Then each host is probed again; a host whose fingerprint drifted (a
probed value changed since planning) is refused and left out of the run, with its drift shown,
unless --allow-drift. A run that left a drifted host out exits 4 even when the rest succeeded:
the plan was not carried out in full.

The plan's files are found relative to the working directory (docs/plan-file.md): a plan made
in one checkout applies in another holding the same files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from orchestrator.app.plan import input_file, make_plan, vars_digest
from orchestrator.app.preparation import Request, prepare
from orchestrator.app.reach import ConnectorFactory, open_fanout
from orchestrator.app.run import (
    EXIT_OK,
    EXIT_REFUSED,
    RunOptions,
    configure_logs,
    run_prepared,
)
from orchestrator.errors import RefusedError
from orchestrator.planning.drift import Drift, find_drift
from orchestrator.planning.planfile import PlanFile, portable_argument, read_plan


@dataclass(frozen=True)
class Overrides:
    """What the operator gave beside --plan; each must agree with the plan."""

    playbook: Path | None = None
    inventory: Path | None = None
    extra_vars: tuple[str, ...] | None = None
    limit: str | None = None


def run_plan(
    plan_path: Path,
    given: Overrides,
    options: RunOptions,
    *,
    allow_drift: bool = False,
    factory: ConnectorFactory | None = None,
    console: Console | None = None,
) -> int:
    """Check the plan's inputs and every host's drift, then run it; the exit code as `run`.

    The re-probe and the run share one fan-out: each host's connection is opened once, and a
    rejected credential is tried once in the whole command.
    """
    out = console or Console(highlight=False, stderr=True)
    plan = read_plan(plan_path)
    cwd = Path.cwd()
    request = _request(plan, given, cwd)
    _check_inputs(plan, request, cwd)
    prepared = prepare(request, interactive=sys.stdin.isatty())
    configure_logs(prepared, options, Console(highlight=False))
    if vars_digest(prepared) != plan.extra_vars_sha256:
        raise RefusedError(
            "the -e values differ from the plan's: plan again, or give the plan's -e values"
        )
    forks = options.forks or prepared.playbook.forks
    with open_fanout(
        prepared.inventory,
        prepared.credentials,
        forks=forks,
        workers=options.workers,
        factory=factory,
    ) as fanout:
        _, now = make_plan(prepared, fanout)
        refused = _drifted(out, find_drift(plan, now), allow_drift=allow_drift)
        if refused and {s.host for s in plan.steps} <= refused:
            out.print("every host drifted: nothing runs; plan again", markup=False)
            return EXIT_REFUSED
        if refused:
            prepared = prepared.without(refused)
        code = run_prepared(prepared, options, approved=True, fanout=fanout)
    return EXIT_REFUSED if code == EXIT_OK and refused else code


def _drifted(out: Console, drifts: list[Drift], *, allow_drift: bool) -> set[str]:
    """Show each drifted host; the hosts left out of the run (none with --allow-drift)."""
    for drift in drifts:
        verdict = "running anyway (--allow-drift)" if allow_drift else "refused, left out"
        out.print(f"drift on {drift.host}: {verdict}", markup=False)
        for line in drift.lines:
            out.print(f"  {line}", markup=False)
    return set() if allow_drift else {d.host for d in drifts}


def _request(plan: PlanFile, given: Overrides, cwd: Path) -> Request:
    """The plan's request, its files found from `cwd`; what was given must name the same."""
    mismatches = []
    for label, mine, planned in (
        ("playbook", given.playbook, plan.playbook),
        ("inventory", given.inventory, plan.inventory),
    ):
        if mine is not None and (cwd / mine).resolve() != planned.local(cwd).resolve():
            mismatches.append(f"the plan is for {label} {planned.path}, not {mine}")
    if given.limit is not None and portable_argument(given.limit, cwd) != plan.limit:
        mismatches.append(f"the plan was made with --limit {plan.limit!r}, not {given.limit!r}")
    if mismatches:
        raise RefusedError("; ".join(mismatches))
    extra = given.extra_vars if given.extra_vars is not None else tuple(plan.extra_vars)
    return Request(plan.playbook.local(cwd), plan.inventory.local(cwd), extra, plan.limit)


def _check_inputs(plan: PlanFile, request: Request, cwd: Path) -> None:
    changed = []
    for label, planned, path in (
        ("playbook", plan.playbook, request.playbook),
        ("inventory", plan.inventory, request.inventory),
    ):
        try:
            now = input_file(path, cwd).sha256
        except OSError:
            now = ""
        if now != planned.sha256:
            changed.append(f"the {label} {path} {'changed' if now else 'is gone'} since planning")
    if changed:
        raise RefusedError("; ".join(changed) + ": plan again")
