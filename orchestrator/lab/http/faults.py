"""Transport faults on demand, per host (issue 3 item 7): what a flaky Windows host does.

A `FaultSpec` applies to the host's authenticated SOAP requests (optionally only some actions),
for its next `times` matches or for good. What pypsrp 0.9.1 then observes:

    latency=s            the answer comes s seconds late (nothing else changes)
    hang=s               no answer for s seconds: requests.ReadTimeout if s > read_timeout
    drop=True            the connection closes without an answer: requests.ConnectionError
    http_status=500|503  an empty HTTP error: WinRMTransportError(code)
    operation_timeout    a w:TimedOut fault: WSManFaultError(2150858793) (poll_invoke retries)
    down=True            every connection is reset: requests.ConnectionError
    idle_close=s         keep-alive connections close after s idle seconds; with NTLM sealing
                         the next request fails with WinRMTransportError(400) (pypsrp #21)

Clock skew is the domain side's fault, not a transport one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class FaultSpec:
    """One fault; `times=None` keeps it until cleared."""

    latency: float = 0.0
    hang: float = 0.0
    drop: bool = False
    http_status: int | None = None
    operation_timeout: bool = False
    down: bool = False
    idle_close: float | None = None
    actions: frozenset[str] = field(default_factory=frozenset)  # e.g. {"Command", "Receive"}
    times: int | None = None

    def applies_to(self, action: str) -> bool:
        """Whether this fault matches a SOAP action's short name."""
        return not self.actions or action in self.actions


class FaultTable:
    """The faults in force, per host; thread-safe, and cheap when there are none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._specs: dict[str, list[FaultSpec]] = {}

    def set(self, host: str, *specs: FaultSpec) -> None:
        """Replace the host's faults."""
        with self._lock:
            self._specs[host] = list(specs)

    def add(self, host: str, spec: FaultSpec) -> None:
        """Add one fault to the host's."""
        with self._lock:
            self._specs.setdefault(host, []).append(spec)

    def clear(self, host: str | None = None) -> None:
        """Remove one host's faults, or everyone's."""
        with self._lock:
            if host is None:
                self._specs.clear()
            else:
                self._specs.pop(host, None)

    def take(self, host: str, action: str) -> FaultSpec | None:
        """The first request fault matching this action, consuming one use of a counted fault."""
        if not self._specs:
            return None
        with self._lock:
            specs = self._specs.get(host, [])
            for index, spec in enumerate(specs):
                if spec.down or spec.idle_close is not None or not spec.applies_to(action):
                    continue
                self._consume(specs, index, spec)
                return spec
        return None

    def is_down(self, host: str) -> bool:
        """Whether a `down` fault is in force for the host."""
        return any(spec.down for spec in self._current(host))

    def idle_close(self, host: str) -> float | None:
        """The shortest idle-close delay in force for the host, if any."""
        delays = [s.idle_close for s in self._current(host) if s.idle_close is not None]
        return min(delays) if delays else None

    def _current(self, host: str) -> Iterable[FaultSpec]:
        if not self._specs:
            return ()
        with self._lock:
            return tuple(self._specs.get(host, ()))

    @staticmethod
    def _consume(specs: list[FaultSpec], index: int, spec: FaultSpec) -> None:
        if spec.times is None:
            return
        if spec.times <= 1:
            del specs[index]
        else:
            specs[index] = replace(spec, times=spec.times - 1)
