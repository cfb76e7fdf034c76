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
    drop_after=True      the request reaches the WS-Man service (the cmdlet runs, a Receive
                         takes its output), then the connection closes without the answer:
                         requests.ConnectionError, though the server acted

`drop` and `http_status` are what a fault-injecting proxy in front of WinRM does before
forwarding (the service never sees the request); `drop_after` is the proxy losing the answer
on its way back. The answer is lost for good: a Receive's output fragments are not put back for
a retried Receive (the lab's requeue is for a client that gave up, not for this). WinRM would
resend them only to a client using Robust Connection Support ([MS-WSMV] 3.1.4.1.39, a
wsmv:OperationID header); pypsrp 0.9.1 does not, so it fails that pipeline. With NTLM sealing,
either drop leaves pypsrp's WSMan with a dead security context: 400 on every later request
(pypsrp #21), as after an idle close.

Probabilistic faults: `rate=p` gives a matching request the fault with probability p. One
uniform draw per request, from the table's own seeded `random.Random`, is shared by every rated
fault in force for that request, in order: their rates add up and at most one fires, so three
specs at 0.01 fail 3 % of requests (not 1 - 0.99**3). `times` counts only the requests the
fault actually hit. The same seed and the same request sequence give the same faults.

Faults set for `ALL_HOSTS` ("*", or `set_all`) apply to every host, after the host's own: a
host's faults are tried first, in order, then the shared ones (whose `times` is shared too).

Clock skew is the domain side's fault, not a transport one.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

ALL_HOSTS = "*"  # the FaultTable key whose faults apply to every host


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
    drop_after: bool = False
    rate: float | None = None  # probability in (0, 1] that a matching request gets it

    def __post_init__(self) -> None:
        if self.rate is not None and not 0.0 < self.rate <= 1.0:
            raise ValueError(f"a fault rate is a probability in (0, 1], not {self.rate!r}")
        if self.rate is not None and (self.down or self.idle_close is not None):
            raise ValueError("down and idle_close faults hold for the host, they have no rate")
        answers = (self.drop, self.drop_after, self.http_status is not None, self.operation_timeout)
        if sum(answers) > 1:
            raise ValueError("drop, drop_after, http_status and operation_timeout are exclusive")

    def applies_to(self, action: str) -> bool:
        """Whether this fault matches a SOAP action's short name."""
        return not self.actions or action in self.actions

    @property
    def kind(self) -> str:
        """The fault's name in the counters, e.g. "drop", "drop_after", "http_500", "latency"."""
        if self.http_status is not None:
            return f"http_{self.http_status}"
        flags = {
            "drop": self.drop,
            "drop_after": self.drop_after,
            "operation_timeout": self.operation_timeout,
            "down": self.down,
            "idle_close": self.idle_close is not None,
            "hang": self.hang > 0,
            "latency": self.latency > 0,
        }
        return next((name for name, on in flags.items() if on), "none")

    @property
    def per_request(self) -> bool:
        """Whether `take` hands this fault out (down and idle_close hold for the connection)."""
        return not self.down and self.idle_close is None


def flaky_network(rate: float) -> tuple[FaultSpec, FaultSpec, FaultSpec]:
    """An even mix of HTTP 500, drop before and drop after, failing `rate` of the requests."""
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"a fault rate is a probability in (0, 1], not {rate!r}")
    share = rate / 3
    return (
        FaultSpec(http_status=500, rate=share),
        FaultSpec(drop=True, rate=share),
        FaultSpec(drop_after=True, rate=share),
    )


class _Wheel:
    """One uniform draw per request, shared by its rated faults: each owns a slice of [0, 1)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._point: float | None = None
        self._start = 0.0

    def lands(self, rate: float) -> bool:
        """Whether the draw falls in the next slice, `rate` wide (drawn on first use only)."""
        if self._point is None:
            self._point = self._rng.random()
        hit = self._start <= self._point < self._start + rate
        self._start += rate
        return hit


class FaultTable:
    """The faults in force, per host; thread-safe, and cheap when there are none."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._specs: dict[str, list[FaultSpec]] = {}
        self._random = random.Random(seed)  # noqa: S311 -- fault draws, not cryptography

    def reseed(self, seed: int | None) -> None:
        """Restart the rated faults' draws from `seed` (None: from the OS's randomness)."""
        with self._lock:
            self._random.seed(seed)

    def set(self, host: str, *specs: FaultSpec) -> None:
        """Replace the host's faults (`ALL_HOSTS`: the faults every host shares)."""
        with self._lock:
            self._specs[host] = list(specs)

    def set_all(self, *specs: FaultSpec) -> None:
        """Replace the faults every host shares, tried after each host's own."""
        self.set(ALL_HOSTS, *specs)

    def add(self, host: str, spec: FaultSpec) -> None:
        """Add one fault to the host's."""
        with self._lock:
            self._specs.setdefault(host, []).append(spec)

    def clear(self, host: str | None = None) -> None:
        """Remove one host's faults (`ALL_HOSTS`: the shared ones), or every fault."""
        with self._lock:
            if host is None:
                self._specs.clear()
            else:
                self._specs.pop(host, None)

    def take(self, host: str, action: str) -> FaultSpec | None:
        """The request fault this action gets (the host's first, then the shared), if any.

        A rated fault matches only when the request's draw lands in its slice; the fault that
        fires uses up one of its `times`.
        """
        if not self._specs:
            return None
        with self._lock:
            wheel = _Wheel(self._random)
            for key in (host, ALL_HOSTS):
                specs = self._specs.get(key, [])
                index = _pick(specs, action, wheel)
                if index is not None:
                    spec = specs[index]
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
            return (*self._specs.get(host, ()), *self._specs.get(ALL_HOSTS, ()))

    @staticmethod
    def _consume(specs: list[FaultSpec], index: int, spec: FaultSpec) -> None:
        if spec.times is None:
            return
        if spec.times <= 1:
            del specs[index]
        else:
            specs[index] = replace(spec, times=spec.times - 1)


def _pick(specs: list[FaultSpec], action: str, wheel: _Wheel) -> int | None:
    """The index of the first per-request fault matching `action` that fires this time."""
    for index, spec in enumerate(specs):
        if not spec.per_request or not spec.applies_to(action):
            continue
        if spec.rate is None or wheel.lands(spec.rate):
            return index
    return None
