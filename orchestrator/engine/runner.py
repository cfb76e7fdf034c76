"""The runner: steps in order, each step's hosts in parallel, failures contained.

Every host is reached through the command's fan-out (fanout.py): its pool (`forks`) is the
only concurrency, its preflight tries each credential once before any change, its breaker
keeps a rejected credential from being tried again, and its record says which hosts are out.
A step starts once the previous one finished on all its hosts. A host that fails (or is
unreachable) leaves the run, unless the step says `ignore_errors`. `serial` runs the playbook
batch by batch; `max_fail_percentage` stops the run when too many hosts of a batch failed.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orchestrator.engine import events as ev
from orchestrator.engine.breaker import Rejection
from orchestrator.engine.fanout import Exclusion, Fanout
from orchestrator.engine.hoststep import HostStepRunner, ModuleLookup, module_for
from orchestrator.engine.nojournal import NoJournal
from orchestrator.engine.step import Status, StepOutcome
from orchestrator.engine.windowrun import Failsafes, WindowJournal, WindowOutcome, WindowRunner
from orchestrator.errors import OrchestratorError, RunInterruptedError, WindowError
from orchestrator.inventory.model import Host
from orchestrator.playbook.binding import Binding
from orchestrator.playbook.model import Playbook, Step, Window
from orchestrator.templating import Templar


@dataclass(frozen=True)
class RunSettings:
    """How a run proceeds."""

    serial: int | str | None = None
    max_fail_percentage: float | None = None


@dataclass
class RunResult:
    """What a run did: the one result the recap, the reports and the exit code come from."""

    run_id: str
    outcomes: list[tuple[Step, Host, StepOutcome]] = field(default_factory=list)
    out: dict[str, Exclusion] = field(default_factory=dict)  # hosts that left the run, and why
    rejections: list[Rejection] = field(default_factory=list)
    aborted: str | None = None
    refused: str | None = None
    windows: list[WindowOutcome] = field(default_factory=list)
    earlier_open: dict[str, list[str]] = field(default_factory=dict)  # run id -> hosts an
    # earlier run left open and that could not be rolled back before this one (it did not run)

    @property
    def failed_hosts(self) -> dict[str, str]:
        """Each host that failed, was unreachable or refused, with why."""
        return {host: exclusion.reason for host, exclusion in self.out.items()}

    @property
    def failed(self) -> bool:
        """True when a host failed, was unreachable, or the run stopped early."""
        return bool(self.out or self.rejections or self.aborted or self.refused)

    @property
    def still_open(self) -> list[str]:
        """Hosts whose window changes could not all be reverted (failsafes still armed)."""
        return [host for hosts in self.open_by_run().values() for host in hosts]

    def open_by_run(self) -> dict[str, list[str]]:
        """The hosts still open, by the run whose rollback must finish them."""
        mine = [host for w in self.windows for host in w.open_hosts]
        return {**self.earlier_open, **({self.run_id: mine} if mine else {})}


class Runner:
    """Runs a bound playbook against hosts through the command's fan-out, emitting events."""

    def __init__(
        self,
        playbook: Playbook,
        binding: Binding,
        fanout: Fanout,
        *,
        settings: RunSettings | None = None,
        templar: Templar | None = None,
        modules: ModuleLookup = module_for,
        journal: WindowJournal | None = None,
        failsafes: Callable[[Window], Failsafes | None] | None = None,
        run_id: str | None = None,
        skip: frozenset[tuple[str, int]] = frozenset(),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.playbook = playbook
        self.binding = binding
        self.fanout = fanout
        self.settings = settings or RunSettings(
            serial=playbook.serial, max_fail_percentage=playbook.max_fail_percentage
        )
        self.result = RunResult(run_id=run_id or uuid.uuid4().hex[:12])
        self._lock = threading.Lock()
        self._failed_in: dict[str, list[str]] = {}  # step -> hosts it failed on (not ignored)
        self._skip = skip
        self._stop = threading.Event()
        self._stop_reason = ""
        self._real_sleep = sleep
        self.hosts = HostStepRunner(
            binding=binding,
            fanout=fanout,
            templar=templar or Templar(),
            sleep=self._sleep,
            monotonic=monotonic,
            record=self._record,
            modules=modules,
        )
        self.windows = WindowRunner(
            hosts=self.hosts,
            fanout=fanout,
            journal=journal or NoJournal(),
            failsafes=failsafes or (lambda _window: None),
            stopping=self.stop_requested,
            monotonic=monotonic,
        )

    @property
    def bus(self) -> ev.EventBus:
        """The run's events (the fan-out's)."""
        return self.fanout.events

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
        """Run every step on its hosts; return what happened, whatever ended the run."""
        hosts = self.binding.hosts()
        self.bus.emit(ev.RunStarted(self.result.run_id, self.playbook.name, _names(hosts), _now()))
        try:
            self.fanout.preflight(hosts)
            for batch in self._batches(hosts):
                if not self._run_batch(batch):
                    break
        except OrchestratorError as exc:  # the result must say how the run ended
            self._abort(f"stopped by an error: {exc}")
        finally:
            self.result.out = self.fanout.exclusions(hosts)
            self.result.rejections = self.fanout.rejections()
        self.bus.emit(ev.RunFinished(self.result.run_id, self.result.failed, _now()))
        return self.result

    def _run_batch(self, batch: Sequence[Host]) -> bool:
        names = {h.name for h in batch}
        for segment in self._segments():
            targets = [
                (i, step, [h for h in hosts if h.name in names]) for i, step, hosts in segment
            ]
            if self.stop_requested():
                self._abort(f"stopped: {self._stop_reason}")
                return False
            blocked = next((b for _, s, _ in segment if (b := self._blocked(s))), "")
            if blocked:
                self._abort(blocked)
                return False
            window = self._window_of(segment[0][1])
            ok = self._run_window(window, targets) if window else self._run_step(targets[0])
            if not ok:
                return False
            fatal = next((f for _, s, _ in segment if (f := self._fatal(s))), "")
            if fatal:
                self._abort(fatal)
                return False
            if self._too_many_failed(batch):
                self._abort(f"more than {self.settings.max_fail_percentage}% of a batch failed")
                return False
        return True

    def _run_step(self, item: tuple[int, Step, list[Host]]) -> bool:
        index, step, targets = item
        hosts = self.fanout.active(targets)
        self.bus.emit(ev.StepStarted(index, step.name, step.module, _names(hosts)))
        done = [h for h in hosts if (h.name, index) in self._skip]
        for host in done:
            self.hosts.already_done(step, host)
        self.fanout.map([h for h in hosts if h not in done], lambda h: self.hosts.run(step, h))
        self.bus.emit(ev.StepFinished(index, step.name, self._counts(step, hosts)))
        return True

    def _run_window(self, window: Window, steps: list[tuple[int, Step, list[Host]]]) -> bool:
        try:
            outcome = self.windows.run(window, steps)
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

    # -- bookkeeping ---------------------------------------------------------------------------

    def _record(self, step: Step, host: Host, outcome: StepOutcome, ignored: bool) -> None:
        with self._lock:
            self.result.outcomes.append((step, host, outcome))
            if outcome.status in (Status.FAILED, Status.UNREACHABLE) and not ignored:
                self._failed_in.setdefault(step.name, []).append(host.name)

    # -- dependencies --------------------------------------------------------------------------

    def _blocked(self, step: Step) -> str:
        """Why the step must not run: a step it needs failed on some host ("" if none)."""
        with self._lock:
            failed = [(n, self._failed_in[n]) for n in step.needs if n in self._failed_in]
        if not failed:
            return ""
        needed, hosts = failed[0]
        return (
            f"'{step.name}' needs '{needed}', which failed on {_listed(hosts)}: the run stops"
            " before it"
        )

    def _fatal(self, step: Step) -> str:
        """Why the run stops after this step: it failed on a host and errors are fatal."""
        fatal = step.any_errors_fatal
        if fatal is None:  # a prerequisite on one host, or a precondition anywhere
            assertion = getattr(self.hosts.modules(step.module), "assertion", False)
            fatal = assertion or len(self.binding.targets(step)) == 1
        with self._lock:
            hosts = list(self._failed_in.get(step.name, ()))
        if not fatal or not hosts:
            return ""
        return f"'{step.name}' failed on {_listed(hosts)}; the steps after it need it"

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
        failed = len(self.fanout.exclusions(batch))
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


def _listed(hosts: Sequence[str]) -> str:
    shown = ", ".join(hosts[:5])
    return shown + (f" and {len(hosts) - 5} more" if len(hosts) > 5 else "")


def _names(hosts: Sequence[Host]) -> tuple[str, ...]:
    return tuple(h.name for h in hosts)


def _now() -> datetime:
    return datetime.now(UTC)
