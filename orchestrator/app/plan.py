"""`orchestrator plan`: read live state, change nothing, say per host and step what would happen.

Exit codes (README): 0 planned (with --detailed-exitcode: and nothing would change); 1 a host
could not be planned (unreachable, a probe failed); 2 invalid input; 4 refused (a window whose
revert cannot fit its deadline); 5 a credential was rejected; 6 with --detailed-exitcode:
planned, and changes are pending.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from orchestrator import __version__
from orchestrator.app.preparation import Prepared, Request, prepare
from orchestrator.app.reach import ConnectorFactory, open_fanout
from orchestrator.app.session import vars_json
from orchestrator.engine.events import EventBus, SecretEscrowed
from orchestrator.engine.fanout import Fanout
from orchestrator.escrow import parse_overrides, plan_escrows, planned
from orchestrator.inputfile import read_input_file
from orchestrator.logging import configure
from orchestrator.planning.planfile import (
    InputFile,
    PlanFile,
    PlannedStep,
    portable_argument,
    portable_path,
    write_plan,
)
from orchestrator.planning.planner import Planner, PlanResult, canonical, digest
from orchestrator.report.document import ReportBuilder, ReportDocument, skeleton

EXIT_PLANNED = 0
EXIT_PLAN_FAILED = 1
EXIT_REFUSED = 4
EXIT_AUTH = 5
EXIT_CHANGES_PENDING = 6


@dataclass(frozen=True)
class PlanOptions:
    """Where the plan goes and how it looks."""

    out: Path | None = None  # the plan file for `run --plan`
    format: str = "text"  # what goes to stdout: text, markdown, html or json
    report: Path | None = None
    report_format: str | None = None  # default: by the report's extension
    junit: Path | None = None
    detailed_exitcode: bool = False
    forks: int | None = None
    workers: int | None = None  # processes that talk to hosts (None: one per core)
    verbosity: int = 0
    escrow: tuple[str, ...] = ()  # --escrow NAME=DESTINATION: the plan says where each goes


def plan_playbook(
    request: Request,
    options: PlanOptions,
    *,
    factory: ConnectorFactory | None = None,
    console: Console | None = None,
) -> int:
    """Plan a playbook against live hosts; print and save the plan; the exit code says how."""
    from orchestrator.report.files import render, write_junit, write_report

    prepared = prepare(request, interactive=sys.stdin.isatty())
    escrows = plan_escrows(prepared.playbook.secrets, parse_overrides(options.escrow))
    configure(log_format="console", verbosity=options.verbosity - 1, redactor=prepared.redactor)
    out = console or Console(highlight=False, soft_wrap=True)
    forks = options.forks or prepared.playbook.forks
    bus = EventBus([])
    with open_fanout(
        prepared.inventory,
        prepared.credentials,
        forks=forks,
        workers=options.workers,
        factory=factory,
    ) as fanout:
        document, result = make_plan(prepared, fanout, bus=bus)
    for item in planned(escrows):  # where a run would hand each generated secret over
        bus.emit(SecretEscrowed(item.secret, item.destination, planned=True))
    if options.out is not None:
        write_plan(plan_file(request, prepared, result), options.out)
    code = plan_exit_code(result, detailed=options.detailed_exitcode)
    document.exit_code = code
    out.print(render(document, options.format), markup=False, highlight=False, end="")
    if options.report is not None:
        write_report(document, options.report, options.report_format)
    if options.junit is not None:
        write_junit(document, options.junit)
    return code


def make_plan(
    prepared: Prepared, fanout: Fanout, *, bus: EventBus | None = None
) -> tuple[ReportDocument, PlanResult]:
    """Plan through the command's fan-out; the report document and the predictions."""
    playbook = prepared.playbook
    document = skeleton(
        "plan",
        playbook,
        str(prepared.inventory.path),
        prepared.step_targets(),
        notices=prepared.notices,
    )
    events = bus or EventBus([])
    events.subscribe(ReportBuilder(document))
    fanout.events = events
    planner = Planner(playbook, prepared.binding, fanout)
    result = planner.plan(run_id=f"plan-{uuid.uuid4().hex[:12]}")
    for window in document.windows:
        budget = result.budgets.get(window.name)
        if budget is not None:
            window.revert_budget = budget.seconds
            window.budget_explained = budget.explained
    return document, result


def plan_file(
    request: Request, prepared: Prepared, result: PlanResult, *, cwd: Path | None = None
) -> PlanFile:
    """The plan as a contract: its inputs' digests, each prediction, each host's fingerprint.

    Files are named relative to the working directory `cwd` when inside it (docs/plan-file.md).
    """
    here = Path.cwd() if cwd is None else cwd
    return PlanFile(
        created=datetime.now(UTC),
        orchestrator_version=__version__,
        playbook=input_file(prepared.playbook_path, here),
        inventory=input_file(prepared.inventory.path, here),
        extra_vars=[portable_argument(item, here) for item in request.extra_vars],
        extra_vars_sha256=vars_digest(prepared),
        limit=None if request.limit is None else portable_argument(request.limit, here),
        hosts=result.fingerprints(),
        steps=[
            PlannedStep(
                step_index=p.step_index,
                step=p.step,
                host=p.host,
                kind=p.kind,
                summary=p.summary,
                before=dict(p.before),
                after=dict(p.after),
                reason=p.reason,
                probed=p.probed,
            )
            for p in sorted(result.predictions, key=lambda p: (p.step_index, p.host))
        ],
        changes_pending=result.changes_pending,
    )


def input_file(path: Path, cwd: Path) -> InputFile:
    """A file the plan rests on: its path as the plan file names it, and its bytes' sha256."""
    content = read_input_file(cwd / path, what="input file")  # loaded already: same checks
    return InputFile(path=portable_path(path, cwd), sha256=digest(content))


def vars_digest(prepared: Prepared) -> str:
    """sha256 of the resolved -e values (an @file's content counts, not its name)."""
    return digest(canonical(vars_json(prepared.extra_vars)))


def plan_exit_code(result: PlanResult, *, detailed: bool) -> int:
    """0 planned, 1 a host could not be planned, 4 a window cannot revert in time, 5 auth,
    6 changes pending (only with --detailed-exitcode)."""
    if result.rejections:
        return EXIT_AUTH
    if any(not b.fits for b in result.budgets.values()):
        return EXIT_REFUSED
    if result.failed:
        return EXIT_PLAN_FAILED
    if detailed and result.changes_pending:
        return EXIT_CHANGES_PENDING
    return EXIT_PLANNED
