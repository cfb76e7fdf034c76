"""`orchestrator run`: prepare, confirm, run with live progress or JSON logs, recap, exit code."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import structlog
from rich.console import Console

from orchestrator.app.preparation import Prepared, Request, log_notices, prepare
from orchestrator.app.reach import ConnectorFactory, open_fanout
from orchestrator.app.recover import recover_left_open
from orchestrator.app.session import domain_key, journaled, status_of, vars_json
from orchestrator.engine.events import EventBus, Observer, SecretEscrowed
from orchestrator.engine.failsafe_target import target_failsafes
from orchestrator.engine.fanout import Fanout
from orchestrator.engine.runner import Runner, RunResult, RunSettings
from orchestrator.escrow import Escrow, Escrowed, deposit, parse_overrides, plan_escrows, planned
from orchestrator.journal import LockPurpose
from orchestrator.logging import LogFormat, Redactor, configure
from orchestrator.report.console import ConsoleObserver, print_result, recap_table
from orchestrator.report.document import ReportBuilder, ReportDocument, skeleton
from orchestrator.report.logs import LogObserver
from orchestrator.report.recap import Recap

EXIT_OK = 0
EXIT_FAILED = 1  # failed, and everything a window changed was rolled back
EXIT_INCOMPLETE = 3  # failed, and a window's rollback is incomplete (failsafes still armed)
EXIT_REFUSED = 4  # refused: cancelled at the prompt, a window that cannot revert in time
EXIT_AUTH = 5


@dataclass(frozen=True)
class RunOptions:
    """How the operator wants the run to go and to look."""

    forks: int | None = None
    workers: int | None = None  # processes that talk to hosts (None: one per core)
    yes: bool = False
    log_format: LogFormat | None = None
    verbosity: int = 0
    state_dir: Path | None = None
    break_lock: bool = False
    skip: frozenset[tuple[str, int]] = frozenset()  # (host, step index) done earlier (resume)
    resume_of: str | None = None  # the run id being resumed (its journal record continues)
    report: Path | None = None  # --report PATH
    report_format: str | None = None  # --report-format (default: by the report's extension)
    junit: Path | None = None  # --junit PATH
    escrow: tuple[str, ...] = ()  # --escrow NAME=DESTINATION, over the playbook's escrows


def run_playbook(
    request: Request,
    options: RunOptions,
    *,
    factory: ConnectorFactory | None = None,
    console: Console | None = None,
) -> int:
    """Run a playbook; the exit code says how it went (see README: exit codes)."""
    prepared = prepare(request, interactive=sys.stdin.isatty())
    return run_prepared(prepared, options, factory=factory, console=console)


def run_prepared(
    prepared: Prepared,
    options: RunOptions,
    *,
    factory: ConnectorFactory | None = None,
    console: Console | None = None,
    approved: bool = False,
    fanout: Fanout | None = None,
) -> int:
    """Run what `prepare` made ready; `approved` (a saved plan) skips the prompt.

    fanout: the command's, when an earlier phase of the same command (a plan, a rollback)
    reached hosts already; else the run opens its own.
    """
    interactive = sys.stdin.isatty()
    out = console or Console(highlight=False)
    log_format = configure_logs(prepared, options, out)
    if log_format == "json":  # console logs: announce() printed them on stderr already
        log_notices(prepared.notices)
    escrows = plan_escrows(prepared.playbook.secrets, parse_overrides(options.escrow))
    if interactive and not (options.yes or approved) and not _confirmed(out, prepared, escrows):
        out.print("cancelled at the prompt: nothing was changed", highlight=False)
        return EXIT_REFUSED
    recap = Recap()
    observers: list[Observer] = [recap]
    observers.append(
        ConsoleObserver(out, verbosity=options.verbosity)
        if log_format == "console"
        else LogObserver()
    )
    document = skeleton(
        "run",
        prepared.playbook,
        str(prepared.inventory.path),
        prepared.step_targets(),
        notices=prepared.notices,
    )
    observers.append(ReportBuilder(document))
    notes = (
        out if log_format == "console" else Console(stderr=True, highlight=False, soft_wrap=True)
    )
    with _fanout_of(prepared, options, factory, fanout) as reach:
        reach.events = EventBus(observers)
        result = _execute(prepared, options, reach, notes, escrows)
    _report(out, log_format, recap, result)
    code = exit_code(result)
    document.exit_code = code
    if log_format == "console":  # the reports' one wording of how it ended (report.verdict)
        print_result(out, document)
    _write_reports(document, options)
    return code


@contextmanager
def _fanout_of(
    prepared: Prepared,
    options: RunOptions,
    factory: ConnectorFactory | None,
    given: Fanout | None,
) -> Iterator[Fanout]:
    """The command's fan-out: the one given (closed by its owner), or a new one."""
    if given is not None:
        yield given
        return
    forks = options.forks or prepared.playbook.forks
    with open_fanout(
        prepared.inventory,
        prepared.credentials,
        forks=forks,
        workers=options.workers,
        factory=factory,
    ) as fanout:
        yield fanout


def _write_reports(document: ReportDocument, options: RunOptions) -> None:
    if options.report is None and options.junit is None:
        return
    from orchestrator.report.files import write_junit, write_report

    if options.report is not None:
        write_report(document, options.report, options.report_format)
    if options.junit is not None:
        write_junit(document, options.junit)


def configure_logs(prepared: Prepared, options: RunOptions, out: Console) -> LogFormat:
    """JSON lines on stdout off a terminal (or when asked), else console logs on stderr."""
    return configure_logging(options, prepared.redactor, out)


def configure_logging(options: RunOptions, redactor: Redactor, out: Console) -> LogFormat:
    """`run`'s logging, for every command that reaches hosts (`rollback`, `resume` too): JSON
    lines on stdout off a terminal (or when asked), else console logs on stderr, one level
    quieter (the console itself says what happens)."""
    log_format: LogFormat = options.log_format or ("console" if out.is_terminal else "json")
    configure(
        log_format=log_format,
        verbosity=options.verbosity if log_format == "json" else options.verbosity - 1,
        redactor=redactor,
        stream=sys.stdout if log_format == "json" else sys.stderr,
    )
    return log_format


def _execute(
    prepared: Prepared,
    options: RunOptions,
    fanout: Fanout,
    notes: Console,
    escrows: list[Escrow],
) -> RunResult:
    playbook = prepared.playbook
    settings = RunSettings(serial=playbook.serial, max_fail_percentage=playbook.max_fail_percentage)
    with journaled(
        inventory=prepared.inventory,
        redactor=prepared.redactor,
        state=options.state_dir,
        break_lock=options.break_lock,
        purpose=LockPurpose.RESUME if options.resume_of else LockPurpose.RUN,
        run_id=options.resume_of,
    ) as session:
        # before this run contacts a host: a run that cannot escrow refuses to start (exit 4),
        # and a crash after a change never loses a generated password
        escrowed = deposit(escrows, prepared.secrets, session.run_id)
        blocked = recover_left_open(session, prepared.inventory, fanout, notes)
        if blocked is not None:
            _announce(fanout.events, escrowed)
            return blocked
        if options.resume_of:
            session.journal.reopen_run(session.run_id)
        else:
            session.journal.start_run(
                playbook=prepared.playbook_path,
                inventory=prepared.inventory.path,
                vars_json=vars_json(prepared.extra_vars),
                domain_key=domain_key(prepared.inventory),
                run_id=session.run_id,
            )
        fanout.events.subscribe(session.observer)
        _announce(fanout.events, escrowed)
        runner = Runner(
            playbook,
            prepared.binding,
            fanout,
            settings=settings,
            journal=session.windows,
            failsafes=target_failsafes(session.run_id),
            run_id=session.run_id,
            skip=options.skip,
        )
        with (
            session.finishing(lambda: status_of(runner.result)),
            stop_on_signals(runner.request_stop),
        ):
            return runner.run()


def _announce(bus: EventBus, escrowed: list[Escrowed]) -> None:
    """Where each generated secret went, for the reports, the logs and the journal."""
    for item in escrowed:
        bus.emit(SecretEscrowed(item.secret, item.destination))


def _confirmed(out: Console, prepared: Prepared, escrows: list[Escrow]) -> bool:
    playbook = prepared.playbook
    steps = list(playbook.steps())
    out.print(f"[bold]{playbook.name}[/]", highlight=False)
    out.print(f"{len(steps)} steps on {len(prepared.hosts())} hosts of {prepared.inventory.path}")
    for step in (s for s in steps if s.irreversible):
        out.print(f"  [yellow]irreversible:[/] {step.name}", highlight=False)
    for item in planned(escrows):
        where = item.destination or "NOT escrowed: lost when the run ends"
        out.print(f"  generated secret {item.secret} goes to: {where}", markup=False)
    try:
        # markup off: rich would read `[y/N]` as a style tag and print nothing of it
        answer = out.input("Run it? [y/N] ", markup=False)
    except (KeyboardInterrupt, EOFError):  # Ctrl-C or Ctrl-D: a no, like any other answer
        out.print()
        return False
    return answer.strip().lower() in ("y", "yes")


def _report(out: Console, log_format: LogFormat, recap: Recap, result: RunResult) -> None:
    if log_format == "json":
        structlog.get_logger("orchestrator").info(
            "run.recap",
            run=result.run_id,
            hosts={h: vars(c) for h, c in recap.hosts.items()},
            failed=result.failed,
            still_open=result.still_open,
        )
        return
    out.print()
    out.print(recap_table(recap))
    for rejection in result.rejections:
        out.print(f"[bold red]authentication failed:[/] {rejection.explain()}", highlight=False)
    if result.refused:
        out.print(f"[bold red]refused:[/] {result.refused}", highlight=False)
    for run_id, hosts in result.open_by_run().items():
        out.print(
            f"[bold red]still open on {', '.join(hosts)}:[/] their failsafe tasks fire at the"
            f" deadline; finish with `orchestrator rollback {run_id}`",
            highlight=False,
        )


def exit_code(result: RunResult) -> int:
    """The run's exit code (README: exit codes), from the same result as its recap."""
    if result.still_open:
        return EXIT_INCOMPLETE
    if result.refused:
        return EXIT_REFUSED
    if result.rejections:
        return EXIT_AUTH
    return EXIT_FAILED if result.failed else EXIT_OK


@contextmanager
def stop_on_signals(request_stop: Callable[[str], None]) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the run to stop: open windows revert before the process exits."""
    names = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}

    def handler(signum: int, _frame: FrameType | None) -> None:
        request_stop(names.get(signal.Signals(signum), "signal"))

    previous = {sig: signal.signal(sig, handler) for sig in names}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
