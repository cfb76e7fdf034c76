"""The window runner's `Failsafes` (windowrun.py) over the failsafe logic: one per window,
remembering each host's clock and armed task between calls (hosts run on several threads).

    runner = Runner(..., failsafes=target_failsafes(run_id))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from orchestrator.commands import Command
from orchestrator.engine.failsafe import ArmedFailsafe, FailsafePlan, arm, disarm, read_clock
from orchestrator.engine.failsafe_clock import TargetClock
from orchestrator.errors import WindowError
from orchestrator.modules.protocol import Logic
from orchestrator.playbook.model import Window

_log = structlog.get_logger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TargetFailsafes:
    """Failsafe tasks of one window: `prepare` reads a host's clock, `arm` (re)registers the
    task over the host's undo so far, `disarm` removes it."""

    def __init__(self, run_id: str, window: str, now: Callable[[], datetime] = _utc_now) -> None:
        self.run_id = run_id
        self.window = window
        self._now = now
        self._lock = threading.Lock()
        self._deadline: datetime | None = None
        self._clocks: dict[str, TargetClock] = {}
        self._armed: dict[str, ArmedFailsafe] = {}

    def prepare(self, host: str, deadline: datetime) -> Logic[None]:
        """Get-Date on the host; its skew is logged and kept for `arm`."""
        clock = yield from read_clock(self._now())
        with self._lock:
            self._deadline = deadline
            self._clocks[host] = clock
        _log.info("failsafe.clock", host=host, skew_seconds=clock.skew.total_seconds())

    def arm(self, host: str, undo: tuple[Command, ...]) -> Logic[ArmedFailsafe | None]:
        """Register the host's task over `undo`, given in the order to run it (last change
        first, as WindowRuntime.host_undo gives it); the armed task, for the journal (None
        when there is nothing to undo yet)."""
        if not undo:
            return None
        with self._lock:
            clock, deadline = self._clocks.get(host), self._deadline
        if clock is None or deadline is None:
            raise WindowError(f"{host}: its clock was not read before arming its failsafe")
        plan = FailsafePlan(self.run_id, self.window, host, deadline, clock, (undo,))
        armed = yield from arm(plan)
        with self._lock:
            self._armed[host] = armed
        return armed

    def disarm(self, host: str) -> Logic[None]:
        """Unregister the host's task (nothing armed there: nothing to do)."""
        with self._lock:
            armed = self._armed.get(host)
        if armed is None:
            return
        yield from disarm(armed)
        with self._lock:
            self._armed.pop(host, None)

    def armed(self) -> dict[str, ArmedFailsafe]:
        """The tasks armed and not disarmed, by host."""
        with self._lock:
            return dict(self._armed)


def target_failsafes(
    run_id: str, now: Callable[[], datetime] = _utc_now
) -> Callable[[Window], TargetFailsafes | None]:
    """For the runner: a TargetFailsafes per window with `failsafe: target`, else None."""

    def for_window(window: Window) -> TargetFailsafes | None:
        return TargetFailsafes(run_id, window.name, now) if window.failsafe == "target" else None

    return for_window
