"""Events as structured log lines (JSON in CI), with run, host, step and attempt as context."""

from __future__ import annotations

from typing import Any

import structlog

from orchestrator.engine import events as ev
from orchestrator.report.view import iso


class LogObserver:
    """Writes one log line per meaningful event."""

    def __init__(self, logger: Any | None = None) -> None:
        self.log = logger or structlog.get_logger("orchestrator")

    def __call__(self, event: ev.Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _run_started(self, event: ev.RunStarted) -> None:
        self.log = self.log.bind(run=event.run_id)
        self.log.info("run.started", playbook=event.playbook, hosts=len(event.hosts))

    def _step_started(self, event: ev.StepStarted) -> None:
        self.log.info("step.started", step=event.step, module=event.module, hosts=len(event.hosts))

    def _attempt(self, event: ev.HostStepStarted) -> None:
        self.log.debug("host.attempt", step=event.step, host=event.host, attempt=event.attempt)

    def _progress(self, event: ev.StepProgress) -> None:
        self.log.info(
            "host.progress",
            step=event.step,
            host=event.host,
            message=event.message,
            **{k: v for k, v in event.values.items() if isinstance(v, int | float | str | bool)},
        )

    def _retrying(self, event: ev.Retrying) -> None:
        self.log.warning(
            "host.retrying",
            step=event.step,
            host=event.host,
            attempt=event.attempt,
            delay=round(event.delay, 3),
            error=event.error,
            resent=event.command or None,  # one command sent again, not the whole step
        )

    def _finished(self, event: ev.HostStepFinished) -> None:
        level = "error" if event.status.value in ("failed", "unreachable") else "info"
        fields: dict[str, Any] = {
            "step": event.step,
            "host": event.host,
            "status": event.status.value,
            "attempts": event.attempts,
        }
        if event.summary:
            fields["change"] = event.summary
        if event.error:
            fields.update(error=event.error, error_id=event.error_id or None, ignored=event.ignored)
        getattr(self.log, level)("host.finished", **fields)

    def _rejected(self, event: ev.CredentialRejected) -> None:
        self.log.error(
            "credential.rejected",
            credential=event.credential,
            username=event.username,
            reason=event.reason,
            host=event.host,
            attempts=1,
            message="no further host is contacted with this credential",
        )

    def _step_finished(self, event: ev.StepFinished) -> None:
        self.log.info("step.finished", step=event.step, **dict(event.counts))

    def _window_opened(self, event: ev.WindowOpened) -> None:
        self.log.info(
            "window.opened",
            window=event.window,
            deadline=iso(event.deadline),  # machines' form: ISO 8601 in UTC, `Z`
            revert_budget=round(event.revert_budget, 1),
            budget=event.budget_explained,
        )

    def _window_closing(self, event: ev.WindowClosing) -> None:
        self.log.warning("window.reverting", window=event.window, reason=event.reason)

    def _undone(self, event: ev.UndoFinished) -> None:
        level = "info" if event.verified else "error"
        getattr(self.log, level)(
            "window.undo",
            host=event.host,
            step=event.step or None,
            verified=event.verified,
            detail=event.detail or None,
        )

    def _window_closed(self, event: ev.WindowClosed) -> None:
        level = "info" if event.complete else "error"
        getattr(self.log, level)(
            "window.closed",
            window=event.window,
            complete=event.complete,
            still_open=list(event.open_hosts),
        )

    def _escrowed(self, event: ev.SecretEscrowed) -> None:
        if event.destination:
            self.log.info("secret.escrowed", name=event.secret, destination=event.destination)
        else:
            self.log.warning(
                "secret.not_escrowed", name=event.secret, message="lost when the run ends"
            )

    def _aborted(self, event: ev.RunAborted) -> None:
        self.log.error("run.aborted", reason=event.reason)

    def _run_finished(self, event: ev.RunFinished) -> None:
        self.log.info("run.finished", failed=event.failed)


_HANDLERS: dict[type, Any] = {
    ev.RunStarted: LogObserver._run_started,
    ev.StepStarted: LogObserver._step_started,
    ev.HostStepStarted: LogObserver._attempt,
    ev.StepProgress: LogObserver._progress,
    ev.Retrying: LogObserver._retrying,
    ev.HostStepFinished: LogObserver._finished,
    ev.CredentialRejected: LogObserver._rejected,
    ev.StepFinished: LogObserver._step_finished,
    ev.WindowOpened: LogObserver._window_opened,
    ev.WindowClosing: LogObserver._window_closing,
    ev.UndoFinished: LogObserver._undone,
    ev.WindowClosed: LogObserver._window_closed,
    ev.SecretEscrowed: LogObserver._escrowed,
    ev.RunAborted: LogObserver._aborted,
    ev.RunFinished: LogObserver._run_finished,
}
