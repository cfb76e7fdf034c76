"""One clock for the whole lab: virtual time plus a discrete-event scheduler.

Everything time-dependent in the domain (badPasswordTime, lockout expiry, registry dates,
CCIM cycles, PAM TTLs, scheduled-task triggers, Get-Date) reads this clock, never the wall
clock. Two modes:

- real time (default): virtual now = start + elapsed monotonic time x speed (+ any manual
  `advance`), and a ticker (owned by the backend) calls `run_due` as events fall due;
- manual: time stands still until a test calls `advance` or `run_until`.

Events are a heap of (due, seq, event); `advance` pops them in order and sets `now` to each
event's due time before running it, so an event sees the instant it was scheduled for.
The clock is not thread-safe by itself: the backend calls it under its own lock.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2000, 1, 4, 15, 0, 0, tzinfo=UTC)  # the KB article's Ccim32.log day


@dataclass(eq=False)
class Event:
    """A scheduled callback; cancel it with `Clock.cancel` (lazy deletion)."""

    due: datetime
    action: Callable[[], None]
    label: str = ""
    cancelled: bool = False


class Clock:
    """Virtual time and the event heap that every simulated behaviour is scheduled on."""

    def __init__(
        self,
        start: datetime | None = None,
        *,
        manual: bool = False,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("the lab clock needs an aware start time")
        self._start = start or DEFAULT_START
        self._manual = manual
        self._speed = speed
        self._monotonic = monotonic
        self._t0 = monotonic()
        self._offset = timedelta(0)
        self._heap: list[tuple[datetime, int, Event]] = []  # (due, seq, event)
        self._seq = itertools.count()

    @property
    def manual(self) -> bool:
        """True when time only moves through `advance` / `run_until`."""
        return self._manual

    @property
    def speed(self) -> float:
        """Virtual seconds per real second in real-time mode."""
        return self._speed

    def now(self) -> datetime:
        """The current virtual time (aware, UTC)."""
        if self._manual:
            return self._start + self._offset
        elapsed = (self._monotonic() - self._t0) * self._speed
        return self._start + self._offset + timedelta(seconds=elapsed)

    def schedule(self, due: datetime, action: Callable[[], None], label: str = "") -> Event:
        """Run `action` once virtual time reaches `due` (immediately on the next run if past)."""
        event = Event(due, action, label)
        heapq.heappush(self._heap, (due, next(self._seq), event))
        return event

    def schedule_in(self, delay: timedelta, action: Callable[[], None], label: str = "") -> Event:
        """Run `action` after `delay` of virtual time."""
        return self.schedule(self.now() + delay, action, label)

    @staticmethod
    def cancel(event: Event | None) -> None:
        """Forget a scheduled event (it stays in the heap but never runs)."""
        if event is not None:
            event.cancelled = True

    def next_due(self) -> datetime | None:
        """When the earliest pending event is due, if any."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def pending(self) -> int:
        """How many events are waiting (cancelled ones excluded)."""
        return sum(1 for _, _, e in self._heap if not e.cancelled)

    def run_due(self) -> int:
        """Run every event due by now, in order; return how many ran."""
        return self._run_through(self.now(), move_time=False)

    def run_until(self, target: datetime) -> int:
        """Move virtual time forward to `target`, running events in due order on the way."""
        if target < self.now():
            raise ValueError("the lab clock never goes backwards")
        return self._run_through(target, move_time=True)

    def advance(self, delta: timedelta) -> int:
        """Move virtual time forward by `delta` (real-time mode too: a jump ahead)."""
        if delta < timedelta(0):
            raise ValueError("the lab clock never goes backwards")
        return self.run_until(self.now() + delta)

    def _run_through(self, target: datetime, *, move_time: bool) -> int:
        ran = 0
        while True:
            self._drop_cancelled()
            if not self._heap or self._heap[0][0] > target:
                break
            _, _, event = heapq.heappop(self._heap)
            if move_time and event.due > self.now():
                self._jump_to(event.due)
            event.action()
            ran += 1
        if move_time and target > self.now():
            self._jump_to(target)
        return ran

    def _jump_to(self, when: datetime) -> None:
        self._offset += when - self.now()

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
