"""Counters for tests and benchmarks: connections, requests, SOAP actions, auth failures, shells,
injected faults and the cmdlets pipelines asked for."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CounterSnapshot:
    """A consistent copy of every counter at one moment."""

    tcp_connections: int = 0
    http_requests: int = 0
    soap: Counter[tuple[str, str]] = field(default_factory=Counter)  # (host, action) -> n
    auth_failures: Counter[str] = field(default_factory=Counter)  # user as sent -> n
    open_shells: Counter[str] = field(default_factory=Counter)  # host -> shells open now
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)  # (host, kind) -> n
    cmdlets: Counter[tuple[str, str]] = field(default_factory=Counter)  # (host, name) -> n

    def soap_requests(self, action: str | None = None, host: str | None = None) -> int:
        """SOAP requests, optionally for one action short name and/or one host."""
        return _total(self.soap, host, action)

    def faults_fired(self, kind: str | None = None, host: str | None = None) -> int:
        """Injected faults, optionally of one kind (FaultSpec.kind) and/or on one host."""
        return _total(self.faults, host, kind)

    def cmdlet_runs(self, name: str | None = None, host: str | None = None) -> int:
        """Commands pipelines asked to run, optionally by name (any case) and/or on one host."""
        wanted = name.lower() if name is not None else None
        lowered = Counter({(h, n.lower()): count for (h, n), count in self.cmdlets.items()})
        return _total(lowered, host, wanted)


def _total(counter: Counter[tuple[str, str]], host: str | None, what: str | None) -> int:
    return sum(
        n
        for (h, w), n in counter.items()
        if (what is None or w == what) and (host is None or h == host)
    )


class Counters:
    """Thread-safe counters; each update holds a lock for a few instructions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections = 0
        self._requests = 0
        self._soap: Counter[tuple[str, str]] = Counter()
        self._auth_failures: Counter[str] = Counter()
        self._shells: Counter[str] = Counter()
        self._faults: Counter[tuple[str, str]] = Counter()
        self._cmdlets: Counter[tuple[str, str]] = Counter()

    def connection(self) -> None:
        """A TCP connection was accepted."""
        with self._lock:
            self._connections += 1

    def http_request(self) -> None:
        """An HTTP request arrived (authentication legs included)."""
        with self._lock:
            self._requests += 1

    def soap(self, host: str, action: str) -> None:
        """An authenticated SOAP request for `action` arrived for `host`."""
        with self._lock:
            self._soap[(host, action)] += 1

    def fault(self, host: str, kind: str) -> None:
        """A fault of `kind` (FaultSpec.kind) was injected into a request for `host`."""
        with self._lock:
            self._faults[(host, kind)] += 1

    def pipeline(self, host: str, names: Iterable[str]) -> None:
        """A pipeline started on `host`, asking to run the commands `names` (once each)."""
        with self._lock:
            self._cmdlets.update((host, name) for name in names)

    def auth_failure(self, user: str) -> None:
        """A logon failed (bad password, locked, disabled, unknown)."""
        with self._lock:
            self._auth_failures[user] += 1

    def shell_opened(self, host: str) -> None:
        """A shell was created on `host`."""
        with self._lock:
            self._shells[host] += 1

    def shell_closed(self, host: str) -> None:
        """A shell on `host` was deleted or reaped."""
        with self._lock:
            self._shells[host] -= 1
            if self._shells[host] <= 0:
                del self._shells[host]

    def snapshot(self) -> CounterSnapshot:
        """A copy of every counter."""
        with self._lock:
            return CounterSnapshot(
                self._connections,
                self._requests,
                Counter(self._soap),
                Counter(self._auth_failures),
                Counter(self._shells),
                Counter(self._faults),
                Counter(self._cmdlets),
            )

    def reset(self) -> None:
        """Zero the request counters (open shells are state, not history, and stay)."""
        with self._lock:
            self._connections = self._requests = 0
            self._soap.clear()
            self._auth_failures.clear()
            self._faults.clear()
            self._cmdlets.clear()
