"""Runs made up for the report's tests: 1,000 hosts x 5 steps, nothing changing, by default."""

from __future__ import annotations

from pathlib import Path

from bench.lab import LabDelta
from bench.measure import Measured
from bench.runs import Job, Run

HOSTS = tuple(f"wks{i:04d}" for i in range(1000))


def made_run(
    tool: str,
    wall: float,
    cpu: float,
    *,
    lab_cpu: float = 0.0,
    http: int = 0,
    variant: str = "nochange",
    hosts: tuple[str, ...] = HOSTS,
) -> Run:
    """A finished run; per host 5 Command, 6 Receive, 1 Create, 1 Delete requests."""
    job = Job(tool, variant, hosts, 50, 5, Path("inventory.yml"))
    n = len(hosts)
    actions = {"Command": 5 * n, "Receive": 6 * n, "Create": n, "Delete": n}
    lab = LabDelta(wall, lab_cpu, http, dict.fromkeys(hosts, 5), actions, 0, 0.0, 0.0)
    return Run(job, Measured(0, wall, cpu, 100.0, "", peak_tree_mb=270.0), lab)
