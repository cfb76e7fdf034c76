"""The target's clock: what `Get-Date` reads on a host, against the orchestrator's clock.

A failsafe task fires when the HOST's clock reaches its StartBoundary, so the boundary is the
window's deadline expressed on that clock: deadline + skew (`-At` and a StartBoundary without
an offset are read in the target's local time: ITrigger::StartBoundary on Microsoft Learn).
A host 7 minutes fast gets a boundary 7 minutes later and still fires at the true deadline.

pypsrp hands a DateTime over as its ISO text (`2024-05-01T10:00:00.1234567+02:00`; the lab
sends `...Z`). An offset, when present, is kept: the boundary is then written with the target's
own offset, an absolute instant that no daylight-saving change can shift. A reading without an
offset is taken as being in the orchestrator's zone: its skew may then include a zone
difference, but `on_target` is still right, because it adds the time left to the reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orchestrator.errors import WindowError
from orchestrator.modules.logic import read, run
from orchestrator.modules.protocol import Logic


@dataclass(frozen=True)
class TargetClock:
    """The host's clock reading and the orchestrator's time when it was taken."""

    reading: datetime  # Get-Date on the host (aware when it carried an offset)
    orchestrator_now: datetime  # aware

    def __post_init__(self) -> None:
        if self.orchestrator_now.tzinfo is None:
            raise ValueError("the orchestrator's time must be timezone-aware")

    @property
    def skew(self) -> timedelta:
        """How far the host's clock is ahead of the orchestrator's (negative: behind)."""
        reading = self.reading
        if reading.tzinfo is None:
            reading = reading.replace(tzinfo=self.orchestrator_now.tzinfo)
        return reading - self.orchestrator_now

    def on_target(self, when: datetime) -> datetime:
        """`when` (orchestrator's clock) as the host's clock will show it, in whole seconds
        (rounded down)."""
        shown = self.reading + (when - self.orchestrator_now)
        return shown.replace(microsecond=0)


def parse_reading(value: Any) -> datetime:
    """A DateTime from a host: pypsrp's ISO text (offsets honoured) or a datetime."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise WindowError(f"the host's clock read as {type(value).__name__}, not a date")
    try:
        return datetime.fromisoformat(value.strip())  # 3.11: `Z`, 7 fraction digits
    except ValueError as exc:
        raise WindowError(f"the host's clock read as {value!r}, not an ISO date") from exc


def read_clock(orchestrator_now: datetime) -> Logic[TargetClock]:
    """Get-Date on the host, against `orchestrator_now`. Taken when the command is sent, the
    skew reads high by the one-way latency (the host answers later), so the task fires that
    much after the deadline: milliseconds on a LAN, a second's rounding absorbs most of it."""
    if orchestrator_now.tzinfo is None:
        raise ValueError("the orchestrator's time must be timezone-aware")
    result = yield from run(read("Get-Date"))
    if len(result.outputs) != 1:
        raise WindowError(f"Get-Date returned {len(result.outputs)} values, not one")
    return TargetClock(parse_reading(result.outputs[0]), orchestrator_now)
