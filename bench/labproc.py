"""The lab in its own process, with its counters readable from the bench's process.

    python -m bench.labproc --clients 1000 --dir WORKDIR

Starts the same `RunningLab` that `orchestrator lab serve` runs (healthy scenario, NTLM, one
port), writes WORKDIR/inventory.yml and its password file, prints one JSON line `{"ready":
hosts}`, then answers each line read on stdin: `counters` prints a JSON snapshot (SOAP actions
per host and action, HTTP requests, open shells, the process's CPU seconds, the time spent
inside the domain backend's `invoke`, waiting for its global lock or holding it, and the time
spent running cmdlets with the lock held); EOF or `quit` stops it. Nothing in the lab is
changed: in this process only, `invoke` and the `run_statements` it calls under the lock are
wrapped by timers.
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

from orchestrator.lab import backend as backend_module
from orchestrator.lab.harness import LabOptions, RunningLab


class CallTimer:
    """Wraps a callable: how many calls, how long they took in all (from every thread)."""

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


def snapshot(lab: RunningLab, timer: CallTimer, held: CallTimer) -> dict[str, Any]:
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
        "held_seconds": held.seconds,
    }


def serve(clients: int, workdir: Path) -> None:
    """Run the lab until stdin closes or says `quit`."""
    options = LabOptions(
        scenario="healthy", clients=clients, state_dir=workdir / "lab-state", start_now=True
    )
    with RunningLab(options) as lab:
        timer = CallTimer(lab.backend.invoke)
        lab.backend.invoke = timer  # type: ignore[method-assign]  # measuring, not changing
        # `invoke` calls the module's `run_statements` with the lock held: time it there
        names = vars(backend_module)
        held = CallTimer(names["run_statements"])
        names["run_statements"] = held
        lab.write_inventory(workdir / "inventory.yml")
        _say({"ready": len(lab.endpoints())})
        for line in sys.stdin:
            if line.strip() == "quit":
                break
            _say(snapshot(lab, timer, held))


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
