"""The journal as an event observer: subscribe it to the run's EventBus and every step on
every host lands in the run's timeline (progress ticks excepted: too many, and not needed to
resume). The run row must exist first (`Journal.start_run`).

The observer only queues: the journal's writer thread commits events in groups, in the order
the bus delivered them, so an event never waits for a disk sync (issue 13, item 3). What must be
on disk before a host is changed (a window's intent, an armed failsafe) is written through
`RunJournal`, whose writes wait for their group's commit, and with it for every event queued
before them. The end of the run (`RunFinished`) waits until everything is committed. A failed
write surfaces at the next event (JournalError from `emit`, as when each event was committed in
place), at the next intent, or at the run's end: never silently.

A changed host x step keeps its diff's `before` and `after` facts in the event's detail, in and
outside windows alike, so what a change replaced can be read back after the fact
(`orchestrator show RUN`). Facts hold no secret by design; like every detail they pass the
journal's redactor, which writes a value equal to one of the run's secrets as `********`.
Where a generated secret was escrowed is kept as a note (its destination, never its value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.journal.journal import Journal
from orchestrator.journal.records import EventKind


class JournalObserver:
    """Queues a run's events for the journal's writer (committed in groups, in order)."""

    def __init__(self, journal: Journal, run_id: str) -> None:
        self.journal = journal
        self.run_id = run_id
        self._index: dict[str, int] = {}  # step name -> index of its latest StepStarted

    def __call__(self, event: ev.Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _record(self, kind: EventKind, **fields: Any) -> None:
        self.journal.queue_event(self.run_id, kind, **fields)

    def _step_started(self, event: ev.StepStarted) -> None:
        self._index[event.step] = event.index
        self._record(
            EventKind.STEP_STARTED,
            step=event.step,
            step_index=event.index,
            detail={"module": event.module, "hosts": list(event.hosts)},
        )

    def _host_step_started(self, event: ev.HostStepStarted) -> None:
        self._record(
            EventKind.HOST_STEP_STARTED,
            host=event.host,
            step=event.step,
            step_index=self._index.get(event.step),
            attempt=event.attempt,
        )

    def _retrying(self, event: ev.Retrying) -> None:
        self._record(
            EventKind.RETRYING,
            host=event.host,
            step=event.step,
            step_index=self._index.get(event.step),
            attempt=event.attempt,
            detail={"error": event.error, "delay": event.delay, "command": event.command},
        )

    def _host_step_finished(self, event: ev.HostStepFinished) -> None:
        self._record(
            EventKind.HOST_STEP_FINISHED,
            host=event.host,
            step=event.step,
            step_index=self._index.get(event.step),
            attempt=event.attempts,
            status=event.status.value,
            detail={
                "summary": event.summary,
                "error_id": event.error_id,
                "error": event.error,
                "ignored": event.ignored,
                "seconds": round(event.seconds, 3),
                **_facts(event),
            },
        )

    def _credential_rejected(self, event: ev.CredentialRejected) -> None:
        detail = {"credential": event.credential, "username": event.username}
        detail["reason"] = event.reason
        self._record(EventKind.CREDENTIAL_REJECTED, host=event.host, detail=detail)

    def _step_finished(self, event: ev.StepFinished) -> None:
        detail = {"counts": dict(event.counts)}
        self._record(
            EventKind.STEP_FINISHED, step=event.step, step_index=event.index, detail=detail
        )

    def _window_opened(self, event: ev.WindowOpened) -> None:
        detail = {
            "deadline": event.deadline,
            "revert_budget": event.revert_budget,
            "summary": f"deadline {event.deadline.isoformat()}; {event.budget_explained}",
        }
        self._record(EventKind.WINDOW_OPENED, step=event.window, detail=detail)

    def _window_closing(self, event: ev.WindowClosing) -> None:
        self._record(EventKind.WINDOW_CLOSING, step=event.window, detail={"summary": event.reason})

    def _undo_finished(self, event: ev.UndoFinished) -> None:
        self._record(
            EventKind.UNDO,
            host=event.host,
            step=event.step or event.window,
            status="undone" if event.verified else "undo_failed",
            detail={"summary": event.detail},
        )

    def _window_closed(self, event: ev.WindowClosed) -> None:
        still = ", ".join(event.open_hosts)
        self._record(
            EventKind.WINDOW_CLOSED,
            step=event.window,
            status="closed" if event.complete else "rollback_incomplete",
            detail={"open_hosts": list(event.open_hosts), "summary": f"still open on {still}"}
            if still
            else {"summary": "every change undone and verified"},
        )

    def _secret_escrowed(self, event: ev.SecretEscrowed) -> None:
        where = f"escrowed to {event.destination}" if event.destination else "not escrowed"
        detail = {
            "summary": f"generated secret {event.secret}: {where}",
            "secret": event.secret,
            "destination": event.destination,
        }
        self._record(EventKind.NOTE, detail=detail)

    def _run_aborted(self, event: ev.RunAborted) -> None:
        self._record(EventKind.RUN_ABORTED, detail={"summary": event.reason})

    def _run_started(self, event: ev.RunStarted) -> None:
        self._record(EventKind.RUN_STARTED, detail={"hosts": list(event.hosts)})

    def _run_finished(self, event: ev.RunFinished) -> None:
        self._record(EventKind.RUN_FINISHED, status="failed" if event.failed else "ok")
        self.journal.flush()  # the run's end: every event on disk, or the writer's error raised


def _facts(event: ev.HostStepFinished) -> dict[str, Any]:
    """A change's before and after facts (a step that changed nothing keeps none)."""
    if event.status is not Status.CHANGED or not (event.before or event.after):
        return {}
    return {"before": dict(event.before), "after": dict(event.after)}


_HANDLERS: dict[type, Callable[[JournalObserver, Any], None]] = {
    ev.RunStarted: JournalObserver._run_started,
    ev.StepStarted: JournalObserver._step_started,
    ev.HostStepStarted: JournalObserver._host_step_started,
    ev.Retrying: JournalObserver._retrying,
    ev.HostStepFinished: JournalObserver._host_step_finished,
    ev.CredentialRejected: JournalObserver._credential_rejected,
    ev.StepFinished: JournalObserver._step_finished,
    ev.WindowOpened: JournalObserver._window_opened,
    ev.WindowClosing: JournalObserver._window_closing,
    ev.UndoFinished: JournalObserver._undo_finished,
    ev.WindowClosed: JournalObserver._window_closed,
    ev.SecretEscrowed: JournalObserver._secret_escrowed,
    ev.RunAborted: JournalObserver._run_aborted,
    ev.RunFinished: JournalObserver._run_finished,
}
