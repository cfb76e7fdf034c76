"""Live progress on a terminal: a line per host and step, a bar while clients check in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from orchestrator.engine import events as ev
from orchestrator.report.document import ReportDocument
from orchestrator.report.recap import STATUS_STYLE, Recap
from orchestrator.report.sids import name_sids
from orchestrator.report.verdict import result_good, result_text
from orchestrator.report.view import when

# Which probe values make a progress bar: (done, total) pairs, first match wins.
_BARS = (("checked_in", "total"), ("aware", "total"), ("uninstalled", "total"))


class ConsoleObserver:
    """Prints the run as it happens; shows a progress bar for waits that report counts."""

    def __init__(self, console: Console, *, verbosity: int = 0) -> None:
        self.console = console
        self.verbosity = verbosity
        self.progress = Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.bars: dict[tuple[str, str], TaskID] = {}
        self.steps = 0

    def __call__(self, event: ev.Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _print(self, text: str) -> None:
        self.progress.console.print(text, highlight=False)

    def _run_started(self, event: ev.RunStarted) -> None:
        self._print(f"[bold]{event.playbook}[/]  run {event.run_id}, {len(event.hosts)} hosts")
        self.progress.start()

    def _step_started(self, event: ev.StepStarted) -> None:
        self.steps += 1
        count = len(event.hosts)
        where = {0: "no host", 1: "1 host"}.get(count, f"{count} hosts")
        self._print(f"\n[bold]STEP {self.steps}[/] {event.step} [dim]({event.module}, {where})[/]")

    def _finished(self, event: ev.HostStepFinished) -> None:
        style = STATUS_STYLE[event.status]
        label = f"[{style}]{event.status.value:<11}[/]"
        detail = name_sids(event.error or event.summary)
        extra = f" [dim](attempt {event.attempts})[/]" if event.attempts > 1 else ""
        ignored = " [dim]...ignoring[/]" if event.ignored else ""
        self._print(f"  {label} {event.host}  {_escape(detail)}{extra}{ignored}")

    def _retrying(self, event: ev.Retrying) -> None:
        if event.command:
            if self.verbosity > 0:  # a resend at once is routine on a flaky network
                self._print(
                    f"  [dim]resend[/]      {event.host}  {_escape(event.command)} failed on the"
                    f" way ({_escape(event.error)}); sent again at once"
                )
            return
        self._print(
            f"  [magenta]retry[/]       {event.host}  attempt {event.attempt} failed:"
            f" {_escape(event.error)}; next in {event.delay:.1f}s"
        )

    def _progress(self, event: ev.StepProgress) -> None:
        pair = _bar_values(event.values)
        if pair is None:
            if self.verbosity > 0:
                self._print(f"  [dim]...[/]         {event.host}  {_escape(event.message)}")
            return
        done, total = pair
        key = (event.step, event.host)
        if key not in self.bars:
            self.bars[key] = self.progress.add_task(_escape(event.message), total=total)
        self.progress.update(
            self.bars[key], completed=done, total=total, description=_escape(event.message)
        )

    def _step_finished(self, event: ev.StepFinished) -> None:
        for key in [k for k in self.bars if k[0] == event.step]:
            self.progress.remove_task(self.bars.pop(key))

    def _rejected(self, event: ev.CredentialRejected) -> None:
        self._print(
            f"  [bold red]credential '{event.credential}' ({_escape(event.username)}) was"
            f" rejected by {event.host}[/] ({_escape(event.reason)}): one attempt made; no other"
            " host will be contacted with it"
        )

    def _window_opened(self, event: ev.WindowOpened) -> None:
        self._print(
            f"\n[bold magenta]WINDOW[/] {event.window}: everything in it is undone by"
            f" {when(event.deadline)}"
            f" [dim](revert budget {event.revert_budget:.0f}s)[/]"
        )

    def _window_closing(self, event: ev.WindowClosing) -> None:
        self._print(f"\n[bold magenta]REVERT[/] {event.window}: {_escape(event.reason)}")

    def _undone(self, event: ev.UndoFinished) -> None:
        if event.verified:
            self._print(
                f"  [green]undone[/]      {event.host}  {_escape(event.step)} [dim](verified)[/]"
            )
        else:
            self._print(f"  [bold red]not undone[/]  {event.host}  {_escape(event.detail)}")

    def _window_closed(self, event: ev.WindowClosed) -> None:
        if event.complete:
            self._print(
                f"  [green]window {event.window} closed: every change undone and verified[/]"
            )
        else:
            hosts = ", ".join(event.open_hosts)
            self._print(
                f"  [bold red]window {event.window} NOT fully closed on {hosts}[/]: their failsafe"
                " tasks stay armed and fire at the deadline; run `orchestrator rollback` to finish"
            )

    def _escrowed(self, event: ev.SecretEscrowed) -> None:
        if event.destination:
            where = f"escrowed to {_escape(event.destination)}"
        else:
            where = "[yellow]not escrowed[/]: lost when the run ends"
        self._print(f"[bold]secret[/] {event.secret} (generated): {where}")

    def _aborted(self, event: ev.RunAborted) -> None:
        self._print(f"\n[bold red]run stopped:[/] {_escape(event.reason)}")

    def _run_finished(self, _event: ev.RunFinished) -> None:
        self.progress.stop()


def _bar_values(values: Mapping[str, Any]) -> tuple[int, int] | None:
    for done, total in _BARS:
        if isinstance(values.get(done), int) and isinstance(values.get(total), int):
            return int(values[done]), int(values[total])
    return None


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def print_result(console: Console, doc: ReportDocument) -> None:
    """`Result: ...`, the wording every report uses (report.verdict), after the recap."""
    style = "bold green" if result_good(doc) else "bold red"
    console.print(Text(f"Result: {result_text(doc)}", style=style), highlight=False)


def recap_table(recap: Recap) -> Table:
    """The end-of-run recap, one row per host."""
    table = Table(title="RECAP", title_justify="left", box=None, pad_edge=False)
    for column in ("host", "ok", "changed", "failed", "skipped", "unreachable"):
        table.add_column(column, justify="left" if column == "host" else "right")
    for host, c in recap.hosts.items():
        failed = c.failed > c.ignored or c.unreachable
        name = f"[red]{host}[/]" if failed else f"[green]{host}[/]"
        table.add_row(
            name, str(c.ok), str(c.changed), str(c.failed), str(c.skipped), str(c.unreachable)
        )
    return table


_HANDLERS: dict[type, Any] = {
    ev.RunStarted: ConsoleObserver._run_started,
    ev.StepStarted: ConsoleObserver._step_started,
    ev.HostStepFinished: ConsoleObserver._finished,
    ev.Retrying: ConsoleObserver._retrying,
    ev.StepProgress: ConsoleObserver._progress,
    ev.StepFinished: ConsoleObserver._step_finished,
    ev.CredentialRejected: ConsoleObserver._rejected,
    ev.WindowOpened: ConsoleObserver._window_opened,
    ev.WindowClosing: ConsoleObserver._window_closing,
    ev.UndoFinished: ConsoleObserver._undone,
    ev.WindowClosed: ConsoleObserver._window_closed,
    ev.SecretEscrowed: ConsoleObserver._escrowed,
    ev.RunAborted: ConsoleObserver._aborted,
    ev.RunFinished: ConsoleObserver._run_finished,
}
