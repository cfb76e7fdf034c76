"""A results.json read back into Results, so that `python -m bench --render` can write
results.md and the plot again from what was measured, without measuring again (the report's
layout may change after a run of an hour).

What results.json leaves out is not needed by the report: the hosts' names (a run keeps
their number: the names are made up) and each host's pipelines (their sum is kept).
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from bench.capacity import Capacity
from bench.lab import LabDelta
from bench.measure import Measured
from bench.runs import Job, Run
from bench.suite import Config, Results
from bench.window_revert import RevertTiming

T = TypeVar("T")


def results_from_json(text: str) -> tuple[Results, dict[str, object]]:
    """(the run's Results, the machine it ran on) from results.json's text."""
    data = json.loads(text)
    given: dict[str, Any] = data["config"]
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    config = Config(**values)
    window_run = data.get("window_run")
    results = Results(
        config,
        runs=[_run(r) for r in data["runs"]],
        step_costs=[_run(r) for r in data["step_costs"]],
        window=RevertTiming(**data["window"]) if data.get("window") else None,
        window_run=_run(window_run) if window_run else None,
        capacity=_known(Capacity, data["capacity"]) if data.get("capacity") else None,
        help_s=list(data["help_s"]),
        lab_start_s=data["lab_start_s"],
        lab_clients=data.get("lab_clients") or _clients(config),
        error=data.get("error"),
    )
    return results, dict(data["machine"])


def _run(data: dict[str, Any]) -> Run:
    job = dict(data["job"])
    hosts = tuple(f"host{i:04d}" for i in range(job.pop("hosts")))
    playbook, inventory = job.pop("playbook"), Path(job.pop("inventory"))
    run_job = Job(
        **job, hosts=hosts, inventory=inventory, playbook=Path(playbook) if playbook else None
    )
    measured = _known(Measured, {**data["measured"], "stdout": ""})
    lab = _known(LabDelta, {**data["lab"], "pipelines": {hosts[0]: data["pipelines"]}})
    return Run(run_job, measured, lab)


def _known(kind: type[T], values: dict[str, Any]) -> T:
    """The dataclass from the values it has fields for (results.json adds computed ones)."""
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in values.items() if k in names})


def _clients(config: Config) -> int:
    """The lab's size as Suite gave it, for results.json written before it was kept."""
    c = config
    return max(5, *c.sizes, c.window_hosts, c.capacity_processes * c.capacity_hosts)
