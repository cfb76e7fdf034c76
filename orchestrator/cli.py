"""The command line: `orchestrator validate | inventory list | schema`.

Exit codes (also in README.md):
    0  success
    2  invalid input: playbook, inventory, variables or command-line flags
   70  internal error (a bug in orchestrator; the message says so)
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from orchestrator import __version__
from orchestrator.errors import InputError, OrchestratorError, Problem, RefusedError
from orchestrator.lazy_commands import LazyCommand, lazy_group

if TYPE_CHECKING:  # the machinery is imported by the commands that use it: `--help` stays fast
    from orchestrator.app.validate import Outcome

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_REFUSED = 4
EXIT_INTERNAL = 70

# Imported when invoked, not when listed: their packages' imports would slow every `--help`.
_LAZY = (
    LazyCommand(
        "inventory",
        "orchestrator.inventory.cli:app",
        "Inspect inventories: hosts, roles, groups and how each host is reached.",
    ),
    LazyCommand(
        "lab", "orchestrator.lab.cli:app", "The simulated Windows domain (for demos and tests)."
    ),
    LazyCommand(
        "runs",
        "orchestrator.journal.cli:runs_command",
        "List recent runs: id, start, who, playbook, status and windows still open.",
    ),
    LazyCommand(
        "show",
        "orchestrator.journal.cli:show_command",
        "Show a run: its record, steps per host, windows with deadlines, what is still open.",
    ),
)

app = typer.Typer(
    name="orchestrator",
    cls=lazy_group(*_LAZY),
    help="Reviewed, repeatable, safe recovery of Windows domains over WinRM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # rich tracebacks print locals, which may hold secrets
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"orchestrator {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Reviewed, repeatable, safe recovery of Windows domains over WinRM."""


InventoryOpt = Annotated[
    Path | None,
    typer.Option("--inventory", "-i", help="Inventory file; also checks every host's arguments."),
]
ExtraVarsOpt = Annotated[
    list[str] | None,
    typer.Option("--extra-vars", "-e", help="key=value or @file.yml; highest precedence."),
]
StateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Where the journal lives (default: $ORCHESTRATOR_STATE_DIR, else ./.orchestrator).",
    ),
]
BreakLockOpt = Annotated[
    bool,
    typer.Option("--break-lock", help="Take over a STALE lock (its holder is gone)."),
]
LimitOpt = Annotated[
    str | None,
    typer.Option("--limit", "-l", help="Host pattern: names, groups, roles, globs, !x, &x, @file."),
]
ReportOpt = Annotated[
    Path | None,
    typer.Option("--report", help="Write a report: .md, .html, .json or .txt (docs/reports.md)."),
]
# `--format` is what a command prints, everywhere; the --report file's is --report-format.
ReportFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--report-format",
        help="The --report's format: text, markdown, html or json (default: by its extension).",
    ),
]
LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--log-format",
        help="Logs: console or json (default: json when stdout is not a terminal).",
    ),
]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Warnings and errors only.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Processes that talk to hosts (default: one per core from 20 hosts on, else"
        " none; 0 or 1: this process).",
        min=0,
        max=256,
    ),
]
JunitOpt = Annotated[
    Path | None, typer.Option("--junit", help="Write JUnit XML: a testcase per host x step.")
]
EscrowOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--escrow",
        metavar="NAME=DEST",
        help="Where generated secret NAME is kept, over the playbook's escrow: file:PATH (new,"
        " mode 0600), 'command:PROGRAM ARGS' (reads it on stdin, no shell) or none. Repeatable.",
    ),
]


def _escrows(given: list[str] | None) -> tuple[str, ...]:
    """The --escrow options, checked now (exit 2 before anything is read or asked)."""
    from orchestrator.escrow import parse_overrides

    parse_overrides(given or [])
    return tuple(given or ())


@app.command()
def validate(
    playbooks: Annotated[list[Path], typer.Argument(help="Playbook files.", show_default=False)],
    inventory: InventoryOpt = None,
    extra_vars: ExtraVarsOpt = None,
    limit: LimitOpt = None,
    output_format: Annotated[
        str, typer.Option("--format", help="What is printed: text or json.", case_sensitive=False)
    ] = "text",
) -> None:
    """Check playbooks (and, with -i, every host's arguments) without contacting any host."""
    from orchestrator.app.validate import outcome_json, validate_playbooks

    if output_format not in ("text", "json"):
        _fail_usage(f"--format must be text or json, not {output_format!r}")
    if limit is not None and inventory is None:
        _fail_usage("--limit needs an inventory (-i)")
    outcomes = validate_playbooks(playbooks, inventory, extra_vars or [], limit)
    if output_format == "json":
        out.print_json(json.dumps({"playbooks": [outcome_json(o) for o in outcomes]}))
    else:
        _print_outcomes(outcomes)
    raise typer.Exit(EXIT_INPUT if any(o.problems for o in outcomes) else EXIT_OK)


def _print_outcomes(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.problems:
            err.print(f"[bold red]error[/] {outcome.path}", markup=True)
            for problem in sorted(outcome.problems, key=_line_order):
                err.print(f"  {problem}", markup=False)
        else:
            out.print(f"[green]ok[/]    {outcome.path} ({outcome.summary})", markup=True)
    failed = sum(1 for o in outcomes if o.problems)
    if failed:
        err.print(f"{failed} of {len(outcomes)} playbooks have problems", markup=False)


def _line_order(problem: Problem) -> tuple[int, int, str]:
    loc = problem.location
    return (loc.line if loc else 0, loc.column if loc else 0, problem.field)


@app.command()
def run(  # noqa: PLR0917 -- typer maps each option to a parameter
    playbook: Annotated[
        Path | None,
        typer.Argument(help="The playbook to run (with --plan: the plan's).", show_default=False),
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", "-i", help="The inventory (with --plan: the plan's)."),
    ] = None,
    extra_vars: ExtraVarsOpt = None,
    limit: LimitOpt = None,
    forks: Annotated[
        int | None, typer.Option(help="Hosts worked on at once (default 20).", min=1, max=1000)
    ] = None,
    workers: WorkersOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before changing anything.")
    ] = False,
    log_format: LogFormatOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
    state_dir: StateDirOpt = None,
    break_lock: BreakLockOpt = False,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Run exactly this saved plan (from `plan --out`): refused if its inputs"
            " changed; a host whose probed state drifted is left out. No prompt.",
        ),
    ] = None,
    allow_drift: Annotated[
        bool, typer.Option("--allow-drift", help="With --plan: run drifted hosts too.")
    ] = False,
    report: ReportOpt = None,
    report_format: ReportFormatOpt = None,
    old_report_format: Annotated[
        str | None, typer.Option("--format", hidden=True, help="Deprecated: --report-format.")
    ] = None,
    junit: JunitOpt = None,
    escrow: EscrowOpt = None,
) -> None:
    """Run a playbook against an inventory (asks first on a terminal unless --yes).

    Exit codes: 0 success; 1 failed (a host failed or could not be reached), and everything a
    window changed was rolled back; 2 invalid input; 3 failed, and a rollback is incomplete
    (the hosts still open are named; their failsafes fire at the deadline), or what an earlier
    run left open could not be rolled back first; 4 refused (lock held, window revert cannot
    fit its deadline, cancelled at the prompt); 5 authentication failure (circuit breaker: one
    attempt per credential, no lockout). A generated secret is escrowed (--escrow, or the
    playbook's) before any host is contacted; a run that cannot escrow it is refused (4).
    """
    from orchestrator.app.preparation import Request
    from orchestrator.app.run import RunOptions, run_playbook

    _check_log_format(log_format)
    report_format = _renamed("run --format", old_report_format, "--report-format", report_format)
    _check_report_flags(report, report_format)
    options = RunOptions(
        forks=forks,
        workers=workers,
        yes=yes,
        log_format=log_format,  # type: ignore[arg-type]  # checked just above
        verbosity=-1 if quiet else verbose,
        state_dir=state_dir,
        break_lock=break_lock,
        report=report,
        report_format=report_format,
        junit=junit,
        escrow=_escrows(escrow),
    )
    if plan is not None:
        from orchestrator.app.apply import Overrides, run_plan

        given = Overrides(playbook, inventory, tuple(extra_vars) if extra_vars else None, limit)
        raise typer.Exit(run_plan(plan, given, options, allow_drift=allow_drift))
    if allow_drift:
        _fail_usage("--allow-drift goes with --plan")
    if playbook is None or inventory is None:
        _fail_usage("give a PLAYBOOK and --inventory/-i, or --plan FILE")
        return
    request = Request(playbook, inventory, tuple(extra_vars or ()), limit)
    raise typer.Exit(run_playbook(request, options))


@app.command()
def plan(  # noqa: PLR0917 -- typer maps each option to a parameter
    playbook: Annotated[Path, typer.Argument(help="The playbook to plan.", show_default=False)],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="The inventory.")],
    extra_vars: ExtraVarsOpt = None,
    limit: LimitOpt = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Save the plan for `run --plan` (JSON, docs/plan-file.md)."),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option("--format", help="What is printed: text, markdown, html or json."),
    ] = "text",
    report: ReportOpt = None,
    report_format: ReportFormatOpt = None,
    junit: JunitOpt = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when nothing would change, 6 when changes are."
        ),
    ] = False,
    forks: Annotated[
        int | None, typer.Option(help="Hosts probed at once (default 20).", min=1, max=1000)
    ] = None,
    workers: WorkersOpt = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail.")] = 0,
    escrow: EscrowOpt = None,
) -> None:
    """Say per host and step what a run would do, from live read-only probes; change nothing.

    Exit codes: 0 planned (with --detailed-exitcode: nothing would change); 1 a host could not
    be planned (unreachable, a probe failed); 2 invalid input; 4 a window's revert cannot fit
    its deadline; 5 a credential was rejected (one attempt each); 6 with --detailed-exitcode:
    changes are pending.
    """
    from orchestrator.app.plan import PlanOptions, plan_playbook
    from orchestrator.app.preparation import Request

    _check_report_flags(report, report_format)
    if output_format not in _FORMATS:
        _fail_usage(f"--format must be one of {', '.join(_FORMATS)}, not {output_format!r}")
    options = PlanOptions(
        out=out_file,
        format=output_format,
        report=report,
        report_format=report_format,
        junit=junit,
        detailed_exitcode=detailed_exitcode,
        forks=forks,
        workers=workers,
        verbosity=verbose,
        escrow=_escrows(escrow),
    )
    request = Request(playbook, inventory, tuple(extra_vars or ()), limit)
    raise typer.Exit(plan_playbook(request, options))


_FORMATS = ("text", "markdown", "html", "json")


def _renamed(old: str, old_value: str | None, new: str, new_value: str | None) -> str | None:
    """A flag's value given under its old name (kept for one release) or its new one."""
    if old_value is None:
        return new_value
    if new_value is not None:
        _fail_usage(f"give {new} alone: {old} is its deprecated old name")
    err.print(f"warning: {old} is deprecated and will be removed: use {new}", markup=False)
    return old_value


def _check_log_format(log_format: str | None) -> None:
    if log_format not in (None, "console", "json"):
        _fail_usage(f"--log-format must be console or json, not {log_format!r}")


def _check_report_flags(report: Path | None, fmt: str | None) -> None:
    if fmt is not None and fmt not in _FORMATS:
        _fail_usage(f"the report format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    if fmt is not None and report is None:
        _fail_usage("a report format goes with --report PATH")
    if report is not None:
        from orchestrator.report.files import format_for

        format_for(report, fmt)  # an unknown extension is refused now, not after the run


@app.command()
def diagnose(  # noqa: PLR0917 -- typer maps each option to a parameter
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="The inventory.")],
    site_code: Annotated[
        str | None,
        typer.Option("--site-code", help="The site (default: the inventory's site_code)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="What is printed: text, markdown or json.")
    ] = "text",
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write it: .md, .json or .txt (docs/diagnose.md)."),
    ] = None,
    extra_vars: ExtraVarsOpt = None,
    limit: LimitOpt = None,
    forks: Annotated[
        int | None, typer.Option(help="Hosts read at once (default 20).", min=1, max=1000)
    ] = None,
    workers: WorkersOpt = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail.")] = 0,
) -> None:
    """Read the domain and the SMS site, change nothing, and say which recovery applies.

    Which clients fail and why, which connection accounts are locked out and by whom, which
    are valid, the site's accounts and logon methods, whether Guest can work on each CAP, and
    which of Q236052's methods (or Q237759's rotation) to run, with its playbook and hosts.
    Exit codes: 0 healthy, nothing to recover; 6 recovery or prevention recommended; 1
    something could not be read (a host unreachable, a read failed); 2 invalid input; 5 a
    credential was rejected (one attempt each).
    """
    from orchestrator.app.diagnose import DiagnoseOptions, diagnose_site

    options = DiagnoseOptions(
        inventory=inventory,
        extra_vars=tuple(extra_vars or ()),
        limit=limit,
        site_code=site_code,
        format=output_format,
        report=report,
        forks=forks,
        workers=workers,
        verbosity=verbose,
    )
    raise typer.Exit(diagnose_site(options, console=out))


@app.command()
def rollback(  # noqa: PLR0917 -- typer maps each option to a parameter
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or a unique prefix).")],
    inventory: Annotated[
        Path | None, typer.Option("--inventory", "-i", help="Default: the run's own inventory.")
    ] = None,
    state_dir: StateDirOpt = None,
    break_lock: BreakLockOpt = False,
    log_format: LogFormatOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
    workers: WorkersOpt = None,
) -> None:
    """Undo everything a run left open: each change undone, verified, failsafes disarmed.

    Idempotent. Exit codes: 0 nothing is left open; 3 a host could not be reverted (named;
    its failsafe stays armed); 4 the domain's lock is held by another run; 5 a credential was
    rejected (one failed logon, no other host tried with it).
    """
    from orchestrator.app.rollback import rollback_run
    from orchestrator.app.run import RunOptions, configure_logging
    from orchestrator.journal import Journal
    from orchestrator.journal import state_dir as resolve_state_dir

    _check_log_format(log_format)
    logs = RunOptions(
        log_format=log_format,  # type: ignore[arg-type]  # checked just above
        verbosity=-1 if quiet else verbose,
    )
    with Journal.open(resolve_state_dir(state_dir)) as journal:
        record = journal.run(run_id)
        configure_logging(logs, journal.redactor, out)
        code = rollback_run(
            journal,
            record,
            inventory_path=inventory,
            break_lock=break_lock,
            console=out,
            workers=workers,
        )
    raise typer.Exit(code)


@app.command()
def resume(  # noqa: PLR0917 -- typer maps each option to a parameter
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or a unique prefix).")],
    extra_vars: ExtraVarsOpt = None,
    forks: Annotated[int | None, typer.Option(help="Hosts worked on at once.", min=1)] = None,
    workers: WorkersOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before changing.")] = False,
    log_format: LogFormatOpt = None,
    verbose: VerboseOpt = 0,
    quiet: QuietOpt = False,
    state_dir: StateDirOpt = None,
    break_lock: BreakLockOpt = False,
    escrow: EscrowOpt = None,
) -> None:
    """Make a run's open windows safe, then continue it from its first unfinished host x step.

    Never repeats a finished change. Give the same -e values as the run had. Exit codes as
    for `run`; 4 also when the playbook, inventory or -e values changed since the run started.
    Generated secrets are new: escrow them elsewhere (--escrow), the run's own escrow exists.
    """
    from orchestrator.app.resume import resume as resume_run
    from orchestrator.app.run import RunOptions

    _check_log_format(log_format)
    options = RunOptions(
        forks=forks,
        workers=workers,
        yes=yes,
        log_format=log_format,  # type: ignore[arg-type]  # checked just above
        verbosity=-1 if quiet else verbose,
        state_dir=state_dir,
        break_lock=break_lock,
        escrow=_escrows(escrow),
    )
    raise typer.Exit(resume_run(run_id, tuple(extra_vars or ()), options, console=out))


@app.command()
def demo(
    playbook: Annotated[Path, typer.Option(help="The recovery playbook to run.")] = Path(
        "playbooks/guest-window.yml"
    ),
    clients: Annotated[int, typer.Option(help="SMS clients in the lab.", min=5, max=10_000)] = 20,
    workdir: Annotated[Path, typer.Option(help="Where the lab's inventory goes.")] = Path(
        ".orchestrator/demo"
    ),
) -> None:
    """The lab in the article's broken state, a recovery playbook planned and run, the result."""
    from orchestrator.app.demo import run_demo

    raise typer.Exit(run_demo(playbook, clients, workdir, out))


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of playbooks (for editors: yaml-language-server's $schema)."""
    from orchestrator.modules import MODULES
    from orchestrator.playbook.schema import playbook_schema

    text = json.dumps(playbook_schema(MODULES), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _fail_usage(message: str) -> None:
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(EXIT_INPUT)


def _refused(exc: OrchestratorError) -> bool:
    from orchestrator.journal.lock import LockHeldError  # loaded already if it was raised

    return isinstance(exc, RefusedError | LockHeldError)


def main() -> None:
    """Entry point of the `orchestrator` console script."""
    try:
        app()
    except InputError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False)
        sys.exit(EXIT_INPUT)
    except OrchestratorError as exc:
        if _refused(exc):
            err.print(f"refused: {exc}", markup=False)
            sys.exit(EXIT_REFUSED)
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 -- last line of defence: no traceback, no locals
        if os.environ.get("ORCHESTRATOR_DEBUG") == "1":
            traceback.print_exc()
        err.print(
            f"internal error: {type(exc).__name__} (a bug in orchestrator {__version__};"
            " please report it with the command you ran; ORCHESTRATOR_DEBUG=1 shows the"
            " traceback)",
            markup=False,
        )
        sys.exit(EXIT_INTERNAL)
