"""Running one window: read the targets' clocks, check the revert fits, guard every change,
stop forward work in time, and always revert (undo, verify, disarm) before moving on."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from orchestrator.budget import revert_budget
from orchestrator.commands import Command, Transport
from orchestrator.deadline import Deadline
from orchestrator.engine import events as ev
from orchestrator.engine.failsafe_pam import pam_enabled, ttl_applies, with_ttl
from orchestrator.engine.fanout import Fanout
from orchestrator.engine.hoststep import HostStepRunner
from orchestrator.engine.retry import reprobing, retrying
from orchestrator.engine.step import drive
from orchestrator.engine.window import (
    Change,
    PendingChange,
    UndoResult,
    WindowRuntime,
    check_feasible,
    revert_change,
)
from orchestrator.errors import OrchestratorError
from orchestrator.inventory.model import Host
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import Logic, Module, StepContext
from orchestrator.playbook.model import Step, Window


class WindowJournal(Protocol):
    """What a window writes to the journal (before each change it describes)."""

    def open_window(self, name: str, deadline: datetime, failsafe: str) -> int:
        """Record that a window opened; its id."""
        ...

    def record_intent(self, window_id: int, change: PendingChange, step_index: int) -> int:
        """Record a change and its undo BEFORE it is made; the change id."""
        ...

    def mark_change(self, change_id: int, state: str) -> None:
        """applied, undone, undo_failed ..."""
        ...

    def record_failsafe(self, window_id: int, host: str, armed: Any) -> None:
        """Remember a host's armed failsafe so a later rollback can disarm it."""
        ...

    def failsafe_disarmed(self, window_id: int, host: str) -> None:
        """The host's failsafe was removed: nothing is left to fire there."""
        ...

    def close_window(self, window_id: int, status: str) -> None:
        """closed or rollback_incomplete."""
        ...


class Failsafes(Protocol):
    """The target-side failsafe, as sans-IO logic per host."""

    def prepare(self, host: str, deadline: datetime) -> Logic[None]:
        """Read the host's clock (skew) before anything is armed on it."""
        ...

    def arm(self, host: str, undo: tuple[Command, ...]) -> Logic[Any]:
        """(Re)register the host's failsafe holding all its undo commands; the armed task."""
        ...

    def disarm(self, host: str) -> Logic[None]:
        """Remove the host's failsafe (idempotent)."""
        ...


@dataclass
class WindowOutcome:
    """How a window went."""

    name: str
    finished: bool  # every step ran (no early stop)
    reverted: bool  # every change was undone and verified
    open_hosts: list[str] = field(default_factory=list)  # hosts whose revert did not complete
    reason: str = ""


@dataclass
class _Guard:
    """The journal and failsafe around each change of one window."""

    runtime: WindowRuntime
    journal: WindowJournal
    failsafes: Failsafes | None
    step_index: Callable[[str], int]
    now: Callable[[], datetime]
    pam: dict[str, bool] = field(default_factory=dict)

    def before_change(self, change: PendingChange) -> int:
        earlier = self.runtime.change_of(change.host, change.step)
        if earlier is not None:  # a retried attempt: the journal holds it (first probe's state)
            return earlier.change_id
        change_id = self.journal.record_intent(
            self.runtime.window_id, change, self.step_index(change.step)
        )
        self.runtime.add(
            Change(
                change_id,
                change.host,
                change.step,
                change.module,
                change.args,
                change.diff.before,
                change.undo,
            )
        )
        return change_id

    def arm(self, host: str) -> Logic[None]:
        if self.failsafes is None:
            return
        armed = yield from self.failsafes.arm(host, self.runtime.host_undo(host))
        self.journal.record_failsafe(self.runtime.window_id, host, armed)

    def applied(self, change_id: int) -> None:
        self.journal.mark_change(change_id, "applied")

    def adjust(self, host: str, args: ArgsModel) -> Logic[ArgsModel]:
        """A group membership added in a window on a PAM forest ends at the deadline by itself."""
        if self.failsafes is None or not ttl_applies(args):
            return args
        if host not in self.pam:
            self.pam[host] = yield from pam_enabled()
        if not self.pam[host]:
            return args
        return with_ttl(args, self.runtime.deadline - self.now())


@dataclass
class WindowRunner:
    """Runs the steps of one window over a batch of hosts, then reverts them.

    Hosts are reached only through the command's fan-out: the clock reading, the guarded
    changes and the revert all pass its breaker. Forward work skips hosts that are out; the
    revert does not (a host that failed a later step still has earlier changes to undo).
    """

    hosts: HostStepRunner
    fanout: Fanout
    journal: WindowJournal
    failsafes: Callable[[Window], Failsafes | None]
    stopping: Callable[[], str | None]
    monotonic: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def bus(self) -> ev.EventBus:
        """The window's events (the fan-out's)."""
        return self.fanout.events

    def run(
        self, window: Window, steps: Sequence[tuple[int, Step, Sequence[Host]]]
    ) -> WindowOutcome:
        """Open the window, run its steps, and revert everything it changed."""
        deadline = self.now() + window.deadline
        safes = self.failsafes(window)
        latency = self._measure(steps, safes, deadline)
        hosts = _distinct(h for _, _, targets in steps for h in self.fanout.active(targets))
        if not hosts:
            return WindowOutcome(window.name, finished=True, reverted=True)
        budget = revert_budget(
            hosts=len(hosts),
            forks=self.fanout.forks,
            steps=len(steps),
            latency=latency,
            connect_timeout=max(h.connection.connection_timeout.total_seconds() for h in hosts),
        )
        check_feasible(window.name, window.deadline, budget)
        runtime = WindowRuntime(
            window.name,
            deadline,
            self.monotonic() + window.deadline.total_seconds() - budget.seconds,
            window.failsafe,
            budget=budget,
        )
        runtime.hosts = {h.name: h for h in hosts}
        runtime.window_id = self.journal.open_window(window.name, deadline, window.failsafe)
        self.bus.emit(ev.WindowOpened(window.name, deadline, budget.seconds, budget.explain()))
        reason = "the window's steps did not finish"
        try:
            reason = self._forward(runtime, safes, steps)
        finally:  # whatever ends forward work, everything the window changed is reverted
            outcome = self._revert(runtime, safes, reason)
        return outcome

    # -- forward -------------------------------------------------------------------------------

    def _measure(
        self,
        steps: Sequence[tuple[int, Step, Sequence[Host]]],
        safes: Failsafes | None,
        deadline: datetime,
    ) -> float:
        """Read every target's clock (the failsafe needs it) and time the round trips. A host
        that cannot be read leaves the run: its first step in the window says why."""
        first_step: dict[str, Step] = {}
        for _, step, targets in steps:
            for host in self.fanout.active(targets):
                first_step.setdefault(host.name, step)
        hosts = _distinct(h for _, _, targets in steps for h in self.fanout.active(targets))

        def one(host: Host) -> float | None:
            started = self.monotonic()
            logic = safes.prepare(host.name, deadline) if safes else _noop()
            try:
                drive(logic, self.fanout.transport(host), sleep=self.hosts.sleep)
            except OrchestratorError as exc:
                self.hosts.lost(first_step[host.name], host, exc)
                return None
            return self.monotonic() - started

        timings = [t for t in self.fanout.map(hosts, one) if t is not None]
        return max(timings, default=1.0)

    def _forward(
        self,
        runtime: WindowRuntime,
        safes: Failsafes | None,
        steps: Sequence[tuple[int, Step, Sequence[Host]]],
    ) -> str:
        index_of = {step.name: index for index, step, _ in steps}
        guard = _Guard(runtime, self.journal, safes, index_of.__getitem__, self.now)
        cap = Deadline(runtime.stop_at, self.monotonic, "window deadline near: stopping to revert")
        for index, step, targets in steps:
            hosts = self.fanout.active(targets)
            self.bus.emit(
                ev.StepStarted(index, step.name, step.module, tuple(h.name for h in hosts))
            )
            self.fanout.map(hosts, functools.partial(self._run_one, step, guard, cap))
            self.bus.emit(ev.StepFinished(index, step.name, {}))
            reason = self._stop_reason(runtime, hosts)
            if reason:
                return reason
        return ""

    def _run_one(self, step: Step, guard: _Guard, cap: Deadline, host: Host) -> None:
        self.hosts.run(step, host, guard, cap)

    def _stop_reason(self, runtime: WindowRuntime, hosts: Sequence[Host]) -> str:
        stopping = self.stopping()
        if stopping:
            return stopping
        failed = [h.name for h in hosts if self.fanout.is_out(h)]
        if failed:
            return f"a step failed inside the window on {', '.join(failed)}"
        if self.monotonic() >= runtime.stop_at:
            return "the deadline is near: only the revert's time is left"
        return ""

    # -- revert --------------------------------------------------------------------------------

    def _revert(
        self, runtime: WindowRuntime, safes: Failsafes | None, reason: str
    ) -> WindowOutcome:
        self.bus.emit(ev.WindowClosing(runtime.name, reason or "the window's steps are done"))
        by_host = runtime.changes_by_host()
        armed_hosts = sorted(by_host)
        done = self.fanout.map(
            armed_hosts, lambda host: self._revert_host(runtime, host, by_host[host], safes)
        )
        open_hosts = [host for host, ok in zip(armed_hosts, done, strict=True) if not ok]
        status = "closed" if not open_hosts else "rollback_incomplete"
        self.journal.close_window(runtime.window_id, status)
        self.bus.emit(ev.WindowClosed(runtime.name, not open_hosts, tuple(open_hosts)))
        return WindowOutcome(runtime.name, not reason, not open_hosts, open_hosts, reason)

    def _revert_host(
        self, runtime: WindowRuntime, host: str, changes: list[Change], safes: Failsafes | None
    ) -> bool:
        """Undo the host's changes (last first), verify each, then disarm. True when done."""
        pending = list(changes)
        transport = self.fanout.transport(runtime.hosts[host])
        try:
            verified = True
            while pending:
                verified = self._undo_one(pending[0], transport).verified and verified
                pending.pop(0)
            if verified and safes is not None:
                _retry(lambda: drive(safes.disarm(host), transport, sleep=time.sleep))
                self.journal.failsafe_disarmed(runtime.window_id, host)
        except OrchestratorError as exc:
            for change in pending:
                self.journal.mark_change(change.change_id, "undo_failed")
            detail = f"could not be reverted ({exc}); its failsafe stays armed for the deadline"
            self.bus.emit(ev.UndoFinished(runtime.name, host, "", False, detail))
            return False
        return verified

    def _undo_one(self, change: Change, transport: Transport) -> UndoResult:
        result = undo_verified(change, self.hosts.modules(change.module), transport)
        self.journal.mark_change(change.change_id, "undone" if result.verified else "undo_failed")
        self.bus.emit(ev.UndoFinished("", change.host, change.step, result.verified, result.detail))
        return result


def undo_verified(
    change: Change,
    module: Module[Any, Any],
    transport: Transport,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> UndoResult:
    """Undo one change and verify it, through transient failures (never auth): a lost answer
    sends the revert back to its probe at once, a host that cannot be reached is tried again
    after the default policy's delays; a revert tried again probes first, so no undo command
    that acted is sent twice."""
    tries = 0

    def once() -> UndoResult:
        nonlocal tries
        tries += 1
        logic = revert_change(change, module, StepContext(change.host), check_first=tries > 1)
        return drive(logic, transport, sleep=sleep)

    def reprobed() -> UndoResult:
        done: UndoResult = reprobing(sleep=sleep)(once)
        return done

    result: UndoResult = retrying(None, (), sleep=sleep)(reprobed)
    return result


def _retry(action: Callable[[], Any]) -> Any:
    """Reverting retries transient failures with the default policy (never auth)."""
    return retrying(None, (), sleep=time.sleep)(action)


def _noop() -> Logic[None]:
    return
    yield  # a generator that does nothing


def _distinct(hosts: Any) -> list[Host]:
    seen: dict[str, Host] = {}
    for host in hosts:
        seen.setdefault(host.name, host)
    return list(seen.values())


def deadline_on(target_skew: timedelta, deadline: datetime) -> datetime:
    """A deadline expressed on a target's clock (the target runs `skew` ahead of us)."""
    return deadline + target_skew
