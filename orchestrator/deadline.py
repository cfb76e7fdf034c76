"""The one Deadline type: when something must be over, on a monotonic clock.

A step's `timeout:`, a window's "stop forward work now" and a single command's time budget
in the pypsrp adapter are all Deadlines; `earliest` picks the one that comes first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from orchestrator.errors import OperationTimeout


@dataclass(frozen=True)
class Deadline:
    """A moment on `clock` (monotonic seconds) and what reaching it means."""

    at: float
    clock: Callable[[], float] = time.monotonic
    reason: str = "step timeout reached"

    @classmethod
    def after(
        cls,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        reason: str = "step timeout reached",
    ) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(clock() + seconds, clock, reason)

    def left(self) -> float:
        """Seconds left: zero or less once it has passed."""
        return self.at - self.clock()

    def passed(self) -> bool:
        """Whether the deadline has been reached."""
        return self.left() <= 0

    def remaining(self, what: str) -> timedelta:
        """Time left before `what`; OperationTimeout when there is none."""
        left = self.left()
        if left <= 0:
            raise OperationTimeout(f"{self.reason} before {what}")
        return timedelta(seconds=left)


def earliest(*deadlines: Deadline | None) -> Deadline | None:
    """The deadline that comes first, if any."""
    present = [d for d in deadlines if d is not None]
    return min(present, key=lambda d: d.at) if present else None
