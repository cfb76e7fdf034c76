"""The one stream of typed events a run emits. Console, logs, recap and reports observe it.

Events are frozen values; no secret ever sits in one (diffs hold no secret values, errors are
our own messages). A new report format is a new observer, never a change to the runner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.engine.step import Status


@dataclass(frozen=True)
class RunStarted:
    """A run begins."""

    run_id: str
    playbook: str
    hosts: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class StepStarted:
    """A step begins on its hosts."""

    index: int
    step: str
    module: str
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class HostStepStarted:
    """One attempt of a step on one host."""

    step: str
    host: str
    attempt: int


@dataclass(frozen=True)
class StepProgress:
    """Progress inside a step on a host (e.g. clients checked in)."""

    step: str
    host: str
    message: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Retrying:
    """An attempt failed with a transient error; another follows after `delay` seconds.

    command: the one command sent again at once ("" when the whole step is tried again).
    """

    step: str
    host: str
    attempt: int
    delay: float
    error: str
    command: str = ""


@dataclass(frozen=True)
class HostStepFinished:
    """A step's result on one host."""

    step: str
    host: str
    status: Status
    summary: str = ""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""
    error_id: str = ""
    attempts: int = 1
    seconds: float = 0.0
    ignored: bool = False


@dataclass(frozen=True)
class CredentialRejected:
    """A credential got 401: no further host is contacted with it (one attempt was made)."""

    credential: str
    username: str
    host: str
    reason: str = "HTTP 401"  # why (AuthError.reason): a KDC's refusal says which


@dataclass(frozen=True)
class CredentialAccepted:
    """The preflight authenticated a credential on a host (once per credential)."""

    credential: str
    username: str
    host: str


@dataclass(frozen=True)
class Predicted:
    """Plan mode: what a step would do on a host.

    kind: "will-change", "no-change", "unknown" (reason says why) or "skipped".
    """

    step: str
    host: str
    kind: str
    summary: str = ""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class StepFinished:
    """A step finished on all its hosts."""

    index: int
    step: str
    counts: Mapping[str, int]


@dataclass(frozen=True)
class WindowOpened:
    """A timed rollback window opened: everything in it is undone by `deadline`."""

    window: str
    deadline: datetime
    revert_budget: float
    budget_explained: str


@dataclass(frozen=True)
class WindowClosing:
    """A window stops forward work and reverts, and why."""

    window: str
    reason: str


@dataclass(frozen=True)
class UndoFinished:
    """One change undone (and verified), or a host whose revert could not complete."""

    window: str
    host: str
    step: str
    verified: bool
    detail: str = ""


@dataclass(frozen=True)
class WindowClosed:
    """A window closed; `open_hosts` still hold changes (their failsafes stay armed)."""

    window: str
    complete: bool
    open_hosts: tuple[str, ...]


@dataclass(frozen=True)
class SecretEscrowed:
    """Where a generated secret was handed over (run), or would be (plan: `planned`).

    The destination only (`file:/abs/path`, `command:...`), never the value; "" when the
    secret has no escrow and is lost when the run ends.
    """

    secret: str  # the secret's name
    destination: str
    planned: bool = False


@dataclass(frozen=True)
class RunAborted:
    """The run stopped before its end, and why."""

    reason: str


@dataclass(frozen=True)
class RunFinished:
    """A run ends; `failed` tells whether any host failed or was unreachable."""

    run_id: str
    failed: bool
    at: datetime


Event = (
    RunStarted
    | StepStarted
    | HostStepStarted
    | StepProgress
    | Retrying
    | HostStepFinished
    | CredentialRejected
    | CredentialAccepted
    | Predicted
    | StepFinished
    | WindowOpened
    | WindowClosing
    | UndoFinished
    | WindowClosed
    | SecretEscrowed
    | RunAborted
    | RunFinished
)
Observer = Callable[[Event], None]


class EventBus:
    """Delivers each event to every observer: an observer gets one event at a time (observers
    need no locks), and every observer gets them in the same order.

    Each observer has its own lock, taken hand over hand: an event moves to the next observer
    before the one it leaves is free for the next event. So emitters line up only where an
    observer is busy, and no observer ever sees events in another order than the others (the
    journal's order is the console's). Observers must be quick: the journal's only queues
    (its writer thread commits, issue 13 item 3); none may emit from inside its call.
    """

    def __init__(self, observers: list[Observer] | None = None) -> None:
        self._subscribed: tuple[tuple[Observer, threading.Lock], ...] = tuple(
            (observer, threading.Lock()) for observer in observers or []
        )
        self._lock = threading.Lock()  # subscribers only; emit reads the tuple as it is

    def subscribe(self, observer: Observer) -> None:
        """Add an observer (it gets the events emitted from now on)."""
        with self._lock:
            self._subscribed = (*self._subscribed, (observer, threading.Lock()))

    def emit(self, event: Event) -> None:
        """Send an event to every observer, in subscription order; an observer's error stops
        the delivery and is raised here (as a failing journal's JournalError)."""
        held: threading.Lock | None = None
        try:
            for observer, lock in self._subscribed:
                lock.acquire()
                if held is not None:
                    held.release()
                held = lock
                observer(event)
        finally:
            if held is not None:
                held.release()
