"""What steps `register:`, kept for the steps after them (Ansible's `register`).

A registered value holds what the step read (its diff's `before`: a probe's values, the state
it found) and how it went: `changed`, `failed`, `skipped`, `ok`, and `after` (the state it
left). A step that targets exactly one host registers for every host (a site server's view of
its clients serves each client's `when:`), as Ansible does for `run_once`; a step on several
hosts registers for each host its own value. Nothing registered ever holds a secret: diffs
hold none by design.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from orchestrator.engine.step import Status, StepOutcome


def registered_value(status: Status, outcome: StepOutcome) -> dict[str, Any]:
    """The value a step registers: what it read, and how it went."""
    return {
        **dict(outcome.diff.before),
        "changed": status is Status.CHANGED,
        "failed": status in (Status.FAILED, Status.UNREACHABLE),
        "skipped": status is Status.SKIPPED,
        "ok": status in (Status.OK, Status.CHANGED),
        "after": dict(outcome.diff.after),
    }


class Facts:
    """Registered values: shared by every host, or one host's own; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[str, Any] = {}
        self._by_host: dict[str, dict[str, Any]] = {}

    def record(self, name: str, host: str, value: Mapping[str, Any], *, shared: bool) -> None:
        """Keep `value` under `name`, for every host or for `host` alone."""
        with self._lock:
            if shared:
                self._shared[name] = dict(value)
            else:
                self._by_host.setdefault(host, {})[name] = dict(value)

    def for_host(self, host: str) -> dict[str, Any]:
        """The names a host's later steps see (its own values over the shared ones)."""
        with self._lock:
            return {**self._shared, **self._by_host.get(host, {})}
