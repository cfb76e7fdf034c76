"""The lab's capacity: several baseline processes probing at once, the lab's throughput.

Each process probes its own slice of hosts (read-only: `baseline.py --probe-only`), all
started together; the lab's counters before and after give requests per second, its CPU
share (1.0 = one core: the lab is one Python process) and how long pipelines held the
domain backend's global lock (held, and waited for).
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.lab import LabDelta, LabProcess
from bench.runs import BASELINE
from bench.workload import write_inventory


@dataclass(frozen=True)
class Capacity:
    """What the lab sustained while several clients drove it at once."""

    processes: int
    hosts_per_process: int
    forks: int
    wall_s: float
    http_requests: int
    pipelines: int
    lab_cpu_s: float
    invoke_s: float
    held_s: float
    peak_open_shells: int

    @property
    def requests_per_s(self) -> float:
        """HTTP requests the lab answered per second."""
        return self.http_requests / self.wall_s

    @property
    def pipelines_per_s(self) -> float:
        """Pipelines the lab ran per second."""
        return self.pipelines / self.wall_s

    @property
    def cpu_share(self) -> float:
        """The lab's CPU time over the wall time."""
        return self.lab_cpu_s / self.wall_s

    @property
    def lock_share(self) -> float:
        """How much of the time the backend's global lock was held (1.0: all the time)."""
        return self.held_s / self.wall_s

    @property
    def in_invoke(self) -> float:
        """Pipelines inside the backend's invoke on average (waiting for the lock or in it)."""
        return self.invoke_s / self.wall_s


SAMPLE_EVERY = 0.05  # seconds: a small run opens and closes its pools within half a second,
# which a slower sampling missed (the smoke test then read a peak of 0 pools open)


def measure_capacity(
    lab: LabProcess, names: list[str], workdir: Path, *, processes: int, hosts: int, forks: int
) -> Capacity:
    """Start `processes` probing baselines on disjoint slices of `hosts` hosts; measure."""
    inventories = [
        write_inventory(lab.inventory, names[i * hosts : (i + 1) * hosts], f"capacity-{i}.yml")
        for i in range(processes)
    ]
    before = lab.sample()
    started = time.perf_counter()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(BASELINE),
                str(inv),
                "--phase",
                "a",
                "--probe-only",
                "--forks",
                str(forks),
            ],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
        )
        for inv in inventories
    ]
    peak = 0
    while any(child.poll() is None for child in children):
        peak = max(peak, lab.sample().open_shells)
        time.sleep(SAMPLE_EVERY)
    wall = time.perf_counter() - started
    delta = LabDelta.between(before, lab.sample())
    if any(child.returncode != 0 for child in children):
        raise RuntimeError("a capacity client failed")
    return Capacity(
        processes,
        hosts,
        forks,
        wall,
        delta.http_requests,
        sum(delta.pipelines.values()),
        delta.cpu_s,
        delta.invoke_s,
        delta.held_s,
        peak,
    )
