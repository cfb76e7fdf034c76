"""The runner: steps in order, each step's hosts in parallel, failures contained.

One bounded ThreadPoolExecutor (`forks`) is the only concurrency (pypsrp is synchronous). A
step starts once the previous one finished on all its hosts. A host that fails (or is
unreachable) leaves the run, unless the step says `ignore_errors`. `serial` runs the playbook
batch by batch; `max_fail_percentage` stops the run when too many hosts of a batch failed.
Before any change, each distinct credential is tried once; a rejected credential is never
used again in the run (see breaker.py).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orchestrator.commands import Connector
from orchestrator.engine import events as ev
from orchestrator.engine.breaker import CredentialBreaker, Rejection
from orchestrator.engine.hoststep import HostStepRunner
from orchestrator.engine.nojournal import NoJournal
from orchestrator.engine.preflight import check_credentials
from orchestrator.engine.retry import retrying
from orchestrator.engine.step import Status, StepOutcome
from orchestrator.engine.windowrun import Failsafes, WindowJournal, WindowOutcome, WindowRunner
from orchestrator.errors import (
    ConnectError,
    OrchestratorError,
    RunInterruptedError,
    WindowError,
)
from orchestrator.inventory.model import Host
from orchestrator.modules.protocol import Module
from orchestrator.playbook.binding import Binding
from orchestrator.playbook.model import Playbook, Step, Window
from orchestrator.templating import Templar


@dataclass(frozen=True)
class RunSettings:
    """How a run proceeds."""

    forks: int = 20
    serial: int | str | None = None
    max_fail_percentage: float | None = None


@dataclass
class RunResult:
    """What a run did."""

    run_id: str
    outcomes: list[tuple[Step, Host, StepOutcome]] = field(default_factory=list)
    failed_hosts: dict[str, str] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    aborted: str | None = None
    refused: str | None = None
    windows: list[WindowOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when a host failed, was unreachable, or the run stopped early."""
        return bool(self.failed_hosts or self.rejections or self.aborted or self.refused)

    @property
    def still_open(self) -> list[str]:
        """Hosts whose window changes could not all be reverted (failsafes still armed)."""
        return [host for w in self.windows for host in w.open_hosts]


class Runner:
    """Runs a bound playbook against hosts through a Connector, emitting events."""

    def __init__(
        self,
        playbook: Playbook,
        binding: Binding,
        connector: Connector,
        bus: ev.EventBus,
        *,
        settings: RunSettings | None = None,
        templar: Templar | None = None,
        usernames: Mapping[str, str] | None = None,
        modules: Callable[[str], Module[Any, Any]] | None = None,
        journal: WindowJournal | None = None,
        failsafes: Callable[[Window], Failsafes | None] | None = None,
        run_id: str | None = None,
        skip: frozenset[tuple[str, int]] = frozenset(),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.playbook = playbook
        self.binding = binding
        self.connector = connector
        self.bus = bus
        self.settings = settings or RunSettings(
            forks=playbook.forks or 20,
            serial=playbook.serial,
            max_fail_percentage=playbook.max_fail_percentage,
        )
        self.breaker = CredentialBreaker()
        self.result = RunResult(run_id=run_id or uuid.uuid4().hex[:12])
        self._lock = threading.Lock()
        self._skip = skip
        self._stop = threading.Event()
        self._stop_reason = ""
        self._real_sleep = sleep
        self.hosts = HostStepRunner(
            binding=binding,
            connector=connector,
            bus=bus,
            breaker=self.breaker,
            templar=templar or Templar(),
            sleep=self._sleep,
            monotonic=monotonic,
            record=self._record,
            usernames=usernames,
            modules=modules,
        )
        self.windows = WindowRunner(
            hosts=self.hosts,
            connector=connector,
            bus=bus,
            journal=journal or NoJournal(),
            failsafes=failsafes or (lambda _window: None),
            forks=self.settings.forks,
            failed=lambda host: not self._active(host),
            stopping=self.stop_requested,
            monotonic=monotonic,
        )

    # -- stopping ------------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Stop forward work (Ctrl-C, SIGTERM): open windows revert, no new step starts."""
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    def stop_requested(self) -> str | None:
        """Why the run was asked to stop, if it was."""
        return self._stop_reason if self._stop.is_set() else None

    def _sleep(self, seconds: float) -> None:
        """Sleep, unless asked to stop: waits (wait_for, retries) end at once on Ctrl-C."""
        if self._real_sleep is not time.sleep:
            self._real_sleep(seconds)  # an injected test clock
        elif self._stop.wait(seconds):
            raise RunInterruptedError(self._stop_reason)
        if self._stop.is_set():
            raise RunInterruptedError(self._stop_reason)

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run every step on its hosts; return what happened."""
        hosts = self.binding.hosts()
        self.bus.emit(ev.RunStarted(self.result.run_id, self.playbook.name, _names(hosts), _now()))
        try:
            with ThreadPoolExecutor(max_workers=self.settings.forks) as pool:
                self._preflight(pool, hosts)
                for batch in self._batches(hosts):
                    if not self._run_batch(pool, batch):
                        break
        finally:
            self.connector.close_all()
        self.result.rejections = self.breaker.rejections()
        self.bus.emit(ev.RunFinished(self.result.run_id, self.result.failed, _now()))
        return self.result

    def _run_batch(self, pool: ThreadPoolExecutor, batch: Sequence[Host]) -> bool:
        names = {h.name for h in batch}
        for segment in self._segments():
            targets = [
                (i, step, [h for h in hosts if h.name in names]) for i, step, hosts in segment
            ]
            if self.stop_requested():
                self._abort(f"stopped: {self._stop_reason}")
                return False
            window = self._window_of(segment[0][1])
            ok = (
                self._run_window(pool, window, targets)
                if window
                else self._run_step(pool, targets[0])
            )
            if not ok:
                return False
            if self._too_many_failed(batch):
                self._abort(f"more than {self.settings.max_fail_percentage}% of a batch failed")
                return False
        return True

    def _run_step(self, pool: ThreadPoolExecutor, item: tuple[int, Step, list[Host]]) -> bool:
        index, step, targets = item
        hosts = [h for h in targets if self._active(h)]
        self.bus.emit(ev.StepStarted(index, step.name, step.module, _names(hosts)))
        done = [h for h in hosts if (h.name, index) in self._skip]
        for host in done:
            self.hosts.already_done(step, host)
        futures = [pool.submit(self.hosts.run, step, h) for h in hosts if h not in done]
        wait(futures)
        for future in futures:
            future.result()  # a bug in a step's thread must not pass silently
        self.bus.emit(ev.StepFinished(index, step.name, self._counts(step, hosts)))
        return True

    def _run_window(
        self, pool: ThreadPoolExecutor, window: Window, steps: list[tuple[int, Step, list[Host]]]
    ) -> bool:
        try:
            outcome = self.windows.run(pool, window, steps)
        except WindowError as exc:
            self.result.refused = str(exc)
            self.bus.emit(ev.RunAborted(str(exc)))
            return False
        self.result.windows.append(outcome)
        if outcome.reason or not outcome.reverted:
            self._abort(
                f"window '{window.name}' stopped early: {outcome.reason}"
                if outcome.reason
                else f"window '{window.name}' could not be fully reverted"
            )
            return False
        return True

    def _segments(self) -> list[list[tuple[int, Step, Sequence[Host]]]]:
        """Steps in order; the consecutive steps of one window form one segment."""
        segments: list[list[tuple[int, Step, Sequence[Host]]]] = []
        for index, (step, targets) in enumerate(self.binding.steps):
            same = segments and step.window and segments[-1][0][1].window == step.window
            if same:
                segments[-1].append((index, step, targets))
            else:
                segments.append([(index, step, targets)])
        return segments

    def _window_of(self, step: Step) -> Window | None:
        if step.window is None:
            return None
        return next(w for w in self.playbook.windows() if w.name == step.window)

    # -- preflight -----------------------------------------------------------------------------

    def _preflight(self, pool: ThreadPoolExecutor, hosts: Sequence[Host]) -> None:
        """Authenticate once per distinct credential before any change."""
        retried = retrying(None, (), sleep=self.hosts.sleep)
        check_credentials(
            pool, hosts, lambda host: retried(self.connector.authenticate, host), self
        )

    def accepted(self, host: Host) -> None:
        """Preflight: the host's credential works."""
        credential = host.connection.credential or "(none)"
        username = (self.hosts.usernames or {}).get(credential, "")
        self.bus.emit(ev.CredentialAccepted(credential, username, host.name))

    def rejected(self, host: Host) -> None:
        """Preflight: the credential was refused; the breaker keeps its hosts out."""
        self.hosts.reject(host)

    def unreachable(self, host: Host, error: ConnectError) -> None:
        """Preflight: the host is out of the run, unreachable."""
        self.hosts.unreachable_at_preflight(host, error)

    def failed(self, host: Host, error: OrchestratorError) -> None:
        """Preflight: another error; the host is out of the run."""
        self._record_failure(host.name, str(error))

    # -- bookkeeping ---------------------------------------------------------------------------

    def _record(self, step: Step, host: Host, outcome: StepOutcome, keeps_host: bool) -> None:
        with self._lock:
            self.result.outcomes.append((step, host, outcome))
            if outcome.status in (Status.FAILED, Status.UNREACHABLE) and not keeps_host:
                self.result.failed_hosts.setdefault(host.name, outcome.diff.summary)

    def _record_failure(self, host: str, reason: str) -> None:
        with self._lock:
            self.result.failed_hosts.setdefault(host, reason)

    def _active(self, host: Host) -> bool:
        with self._lock:
            return host.name not in self.result.failed_hosts and not self.hosts.is_out(host)

    def _counts(self, step: Step, hosts: Sequence[Host]) -> dict[str, int]:
        names = {h.name for h in hosts}
        counts: dict[str, int] = {}
        with self._lock:
            for done_step, host, outcome in self.result.outcomes:
                if done_step is step and host.name in names:
                    counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
        return counts

    def _too_many_failed(self, batch: Sequence[Host]) -> bool:
        limit = self.settings.max_fail_percentage
        if limit is None or not batch:
            return False
        with self._lock:
            failed = sum(1 for h in batch if h.name in self.result.failed_hosts)
        return failed * 100 / len(batch) > limit

    def _abort(self, reason: str) -> None:
        self.result.aborted = reason
        self.bus.emit(ev.RunAborted(reason))

    def _batches(self, hosts: Sequence[Host]) -> list[Sequence[Host]]:
        size = _batch_size(self.settings.serial, len(hosts))
        return [hosts[i : i + size] for i in range(0, len(hosts), size)] or [hosts]


def _batch_size(serial: int | str | None, total: int) -> int:
    if serial is None or total == 0:
        return max(total, 1)
    if isinstance(serial, str):
        return max(1, math.floor(total * int(serial.rstrip("%")) / 100))
    return max(1, serial)


def _names(hosts: Sequence[Host]) -> tuple[str, ...]:
    return tuple(h.name for h in hosts)


def _now() -> datetime:
    return datetime.now(UTC)
