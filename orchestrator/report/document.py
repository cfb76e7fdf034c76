"""One report document, built from the event stream, for runs and for plans alike.

Every report format (Markdown, HTML, JSON, JUnit) renders this document; none of them looks
at the engine. It holds no secret: its values come from events, which hold none.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.playbook.model import Playbook

SCHEMA_VERSION = 2  # 2: `escrows`, where each generated secret went


class Outcome(enum.StrEnum):
    """How a step ended (or would end) on a host."""

    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"
    ROLLED_BACK = "rolled-back"  # changed inside a window, then undone and verified
    ROLLBACK_FAILED = "rollback-failed"  # changed inside a window, its undo not verified
    DEADLINE_MISSED = "deadline-missed"  # stopped: the window's deadline came first
    WILL_CHANGE = "will-change"  # plan
    NO_CHANGE = "no-change"  # plan
    UNKNOWN = "unknown"  # plan: cannot be predicted (and why)


FAILING = frozenset(
    {Outcome.FAILED, Outcome.UNREACHABLE, Outcome.ROLLBACK_FAILED, Outcome.DEADLINE_MISSED}
)


@dataclass(frozen=True)
class StepInfo:
    """A step as the playbook declares it."""

    index: int
    name: str
    module: str
    hosts: str
    window: str | None
    irreversible: bool
    targets: tuple[str, ...] = ()  # the hosts it was started on (from StepStarted), if known


@dataclass(frozen=True)
class Result:
    """One step on one host."""

    step_index: int
    step: str
    host: str
    outcome: Outcome
    summary: str = ""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""
    error_id: str = ""
    reason: str = ""  # plan: why unknown; run: why rolled back or missed
    attempts: int = 1
    ignored: bool = False


@dataclass
class WindowInfo:
    """A window: declared, and (for runs) what happened to it."""

    name: str
    deadline_after: float  # seconds, as declared
    failsafe: str
    steps: list[str]
    deadline: datetime | None = None
    revert_budget: float | None = None
    budget_explained: str = ""
    opened: datetime | None = None
    closing_reason: str = ""
    closed: datetime | None = None
    complete: bool | None = None
    open_hosts: list[str] = field(default_factory=list)

    @property
    def margin(self) -> float | None:
        """Seconds between the window's close and its deadline (negative: late)."""
        if self.deadline is None or self.closed is None:
            return None
        return (self.deadline - self.closed).total_seconds()


@dataclass(frozen=True)
class CredentialCheck:
    """The preflight: one authentication per credential."""

    credential: str
    username: str
    host: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class EscrowInfo:
    """Where a generated secret went (run) or would go (plan): never its value.

    destination: `file:/abs/path` or `command:...`; "" when it has no escrow (it is lost
    when the run ends).
    """

    secret: str
    destination: str
    planned: bool = False


@dataclass
class ReportDocument:
    """What happened (run) or would happen (plan), per host and step, with its windows."""

    kind: str  # "run" or "plan"
    playbook: str
    playbook_path: str
    inventory_path: str
    run_id: str = ""
    started: datetime | None = None
    finished: datetime | None = None
    hosts: list[str] = field(default_factory=list)
    steps: list[StepInfo] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    windows: list[WindowInfo] = field(default_factory=list)
    credentials: list[CredentialCheck] = field(default_factory=list)
    escrows: list[EscrowInfo] = field(default_factory=list)
    aborted: str = ""
    exit_code: int | None = None
    notices: tuple[str, ...] = ()  # security notices on the hosts reached (cert validation off)

    def result(self, step_index: int, host: str) -> Result | None:
        """The result of a step on a host, if there is one."""
        return next(
            (r for r in self.results if r.step_index == step_index and r.host == host), None
        )

    def counts(self) -> dict[str, int]:
        """How many results of each outcome."""
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        """True when any result failed (not ignored) or the run stopped early."""
        return bool(self.aborted) or any(
            r.outcome in FAILING and not r.ignored for r in self.results
        )


def skeleton(
    kind: str,
    playbook: Playbook,
    inventory_path: str,
    targets: Sequence[Sequence[str]] = (),
    *,
    notices: Sequence[str] = (),
) -> ReportDocument:
    """A document holding the playbook's steps and windows, before any event.

    `targets`: per step (in order), the hosts it selects; a host that left the run earlier
    is then still owed a result (reported as not run) in every later step. `notices`: the
    preparation's security notices, shown near the top of every report.
    """
    steps = [
        StepInfo(
            i,
            s.name,
            s.module,
            s.hosts,
            s.window,
            s.irreversible,
            tuple(targets[i]) if i < len(targets) else (),
        )
        for i, s in enumerate(playbook.steps())
    ]
    windows = [
        WindowInfo(w.name, w.deadline.total_seconds(), w.failsafe, [s.name for s in w.steps])
        for w in playbook.windows()
    ]
    return ReportDocument(
        kind,
        playbook.name,
        playbook.path,
        inventory_path,
        steps=steps,
        windows=windows,
        notices=tuple(notices),
    )


_STATUS = {
    Status.OK: Outcome.OK,
    Status.CHANGED: Outcome.CHANGED,
    Status.FAILED: Outcome.FAILED,
    Status.SKIPPED: Outcome.SKIPPED,
    Status.UNREACHABLE: Outcome.UNREACHABLE,
}
DEADLINE_NEAR = "window deadline near"
_PREDICTION = {
    "will-change": Outcome.WILL_CHANGE,
    "no-change": Outcome.NO_CHANGE,
    "unknown": Outcome.UNKNOWN,
    "skipped": Outcome.SKIPPED,
}


class ReportBuilder:
    """An event observer that fills a ReportDocument."""

    def __init__(self, document: ReportDocument) -> None:
        self.document = document
        self._index = {s.name: s.index for s in document.steps}

    def __call__(self, event: ev.Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _run_started(self, event: ev.RunStarted) -> None:
        self.document.run_id = event.run_id
        self.document.started = event.at
        self.document.hosts = list(event.hosts)

    def _step_started(self, event: ev.StepStarted) -> None:
        for i, step in enumerate(self.document.steps):
            if step.name == event.step:
                # a union: resume and batches start a step more than once, on some hosts each
                targets = tuple(dict.fromkeys((*step.targets, *event.hosts)))
                self.document.steps[i] = replace(step, targets=targets)

    def _finished(self, event: ev.HostStepFinished) -> None:
        index = self._index.get(event.step, -1)
        outcome = _STATUS[event.status]
        if outcome is Outcome.FAILED and event.error.startswith(DEADLINE_NEAR):
            outcome = Outcome.DEADLINE_MISSED
        self.document.results.append(
            Result(
                index,
                event.step,
                event.host,
                outcome,
                event.summary,
                dict(event.before),
                dict(event.after),
                event.error,
                event.error_id,
                attempts=event.attempts,
                ignored=event.ignored,
            )
        )

    def _undone(self, event: ev.UndoFinished) -> None:
        if not event.step:
            return
        outcome = Outcome.ROLLED_BACK if event.verified else Outcome.ROLLBACK_FAILED
        for i, result in enumerate(self.document.results):
            if result.step == event.step and result.host == event.host:
                self.document.results[i] = replace(result, outcome=outcome, reason=event.detail)

    def _window(self, name: str) -> WindowInfo | None:
        return next((w for w in self.document.windows if w.name == name), None)

    def _window_opened(self, event: ev.WindowOpened) -> None:
        window = self._window(event.window)
        if window is not None:
            window.deadline = event.deadline
            window.revert_budget = event.revert_budget
            window.budget_explained = event.budget_explained
            window.opened = datetime.now(UTC)

    def _window_closing(self, event: ev.WindowClosing) -> None:
        window = self._window(event.window)
        if window is not None:
            window.closing_reason = event.reason

    def _window_closed(self, event: ev.WindowClosed) -> None:
        window = self._window(event.window)
        if window is not None:
            window.closed = datetime.now(UTC)
            window.complete = event.complete
            window.open_hosts = list(event.open_hosts)

    def _rejected(self, event: ev.CredentialRejected) -> None:
        self.document.credentials.append(
            CredentialCheck(
                event.credential,
                event.username,
                event.host,
                False,
                f"rejected ({event.reason}): one attempt, no other host contacted",
            )
        )

    def _accepted(self, event: ev.CredentialAccepted) -> None:
        self.document.credentials.append(
            CredentialCheck(event.credential, event.username, event.host, True, "authenticated")
        )

    def _predicted(self, event: ev.Predicted) -> None:
        index = self._index.get(event.step, -1)
        self.document.results.append(
            Result(
                index,
                event.step,
                event.host,
                _PREDICTION[event.kind],
                event.summary,
                dict(event.before),
                dict(event.after),
                reason=event.reason,
            )
        )

    def _escrowed(self, event: ev.SecretEscrowed) -> None:
        self.document.escrows.append(EscrowInfo(event.secret, event.destination, event.planned))

    def _aborted(self, event: ev.RunAborted) -> None:
        self.document.aborted = event.reason

    def _run_finished(self, event: ev.RunFinished) -> None:
        self.document.finished = event.at


_HANDLERS: dict[type, Any] = {
    ev.RunStarted: ReportBuilder._run_started,
    ev.StepStarted: ReportBuilder._step_started,
    ev.HostStepFinished: ReportBuilder._finished,
    ev.UndoFinished: ReportBuilder._undone,
    ev.WindowOpened: ReportBuilder._window_opened,
    ev.WindowClosing: ReportBuilder._window_closing,
    ev.WindowClosed: ReportBuilder._window_closed,
    ev.CredentialRejected: ReportBuilder._rejected,
    ev.CredentialAccepted: ReportBuilder._accepted,
    ev.Predicted: ReportBuilder._predicted,
    ev.SecretEscrowed: ReportBuilder._escrowed,
    ev.RunAborted: ReportBuilder._aborted,
    ev.RunFinished: ReportBuilder._run_finished,
}
