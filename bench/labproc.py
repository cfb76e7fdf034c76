"""The lab in its own process, with its counters readable from the bench's process.

    python -m bench.labproc --clients 1000 --dir WORKDIR

Starts the same `RunningLab` that `orchestrator lab serve` runs (healthy scenario, NTLM, one
port), writes WORKDIR/inventory.yml and its password file, prints one JSON line `{"ready":
hosts}`, then answers each line read on stdin: `counters` prints a JSON snapshot (SOAP actions
per host and action, HTTP requests, open shells, the process's CPU seconds, the time spent
inside the domain backend's `invoke`, which holds its global lock); EOF or `quit` stops it.
Nothing in the lab is changed: `invoke` is timed by a wrapper set on this process's instance.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.lab.harness import LabOptions, RunningLab


class InvokeTimer:
    """Wraps the backend's `invoke`: how many pipelines ran, how long they held it in all."""

    def __init__(self, invoke: Callable[..., Any]) -> None:
        self._invoke = invoke
        self._lock = threading.Lock()
        self.calls = 0
        self.seconds = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._invoke(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.calls += 1
                self.seconds += elapsed


def snapshot(lab: RunningLab, timer: InvokeTimer) -> dict[str, Any]:
    """The lab's counters and this process's CPU time, as JSON-able data."""
    counters = lab.server.counters.snapshot()
    return {
        "monotonic": time.monotonic(),
        "cpu_seconds": time.process_time(),
        "http_requests": counters.http_requests,
        "tcp_connections": counters.tcp_connections,
        "soap": [[host, action, n] for (host, action), n in counters.soap.items()],
        "open_shells": sum(counters.open_shells.values()),
        "invoke_calls": timer.calls,
        "invoke_seconds": timer.seconds,
    }


def serve(clients: int, workdir: Path) -> None:
    """Run the lab until stdin closes or says `quit`."""
    options = LabOptions(
        scenario="healthy", clients=clients, state_dir=workdir / "lab-state", start_now=True
    )
    with RunningLab(options) as lab:
        timer = InvokeTimer(lab.backend.invoke)
        lab.backend.invoke = timer  # type: ignore[method-assign]  # measuring, not changing
        lab.write_inventory(workdir / "inventory.yml")
        _say({"ready": len(lab.endpoints())})
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            _say(snapshot(lab, timer))


def _say(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description="the lab for benchmarks, in its own process")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    serve(args.clients, args.dir)


if __name__ == "__main__":
    main()
