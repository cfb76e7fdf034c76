"""The whole benchmark, in the order that keeps every "change" run changing every host.

Sizes run largest first: each run's hosts are the first N clients, a prefix of the previous
run's, so after any run they all hold the same phase, and the next "change" run (the other
phase) changes every step on every host. At each size and forks, the engine, the baseline
and Ansible (when ansible-core is installed: the bench extra) each do a "change" run then a
"nothing changes" run, in turn (the order reverses with the forks, so none always meets the
lab right after the same other).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import ansible
from bench.baseline import PHASES
from bench.capacity import Capacity, measure_capacity
from bench.lab import LabProcess
from bench.runs import Job, Run, execute
from bench.window_revert import RevertTiming, revert_timing
from bench.workload import (
    client_names,
    phase_playbooks,
    steps,
    window_playbook,
    write_inventory,
    write_playbook,
)

STEPS = 5


@dataclass(frozen=True)
class Config:
    """What to measure."""

    sizes: tuple[int, ...] = (10, 100, 200, 500, 1000)
    forks: tuple[int, ...] = (20, 50)
    window_hosts: int = 1000
    window_forks: int = 50
    capacity_processes: int = 3
    capacity_hosts: int = 100
    help_runs: int = 10
    ansible: bool = True  # when ansible-core is installed


@dataclass
class Results:
    """Everything measured in one bench run."""

    config: Config
    runs: list[Run] = field(default_factory=list)
    step_costs: list[Run] = field(default_factory=list)
    window: RevertTiming | None = None
    window_run: Run | None = None
    capacity: Capacity | None = None
    help_s: list[float] = field(default_factory=list)
    lab_start_s: float = 0.0
    lab_clients: int = 0
    error: str | None = None  # why the run stopped early, if it did


class Suite:
    """Runs the benchmark against one lab process."""

    def __init__(self, config: Config, workdir: Path, say: Callable[[str], None]) -> None:
        self.config = config
        self.workdir = workdir
        self.say = say
        self.phase = "a"  # the lab's clients start as phase a asks (bench/baseline.py)
        self.count = 0
        self.results = Results(config)  # filled as it goes: kept if a run fails
        self.tools = ("engine", "baseline", *(("ansible",) if self.with_ansible() else ()))

    def with_ansible(self) -> bool:
        """Whether Ansible is measured: asked for, and installed."""
        return self.config.ansible and ansible.available()

    def run(self) -> Results:
        """Start the lab, measure everything, stop the lab."""
        results = self.results
        started = time.perf_counter()
        with LabProcess(self._clients(), self.workdir / "lab") as lab:
            results.lab_start_s = time.perf_counter() - started
            results.lab_clients = lab.clients
            names = client_names(lab.inventory)
            playbooks = phase_playbooks(self.workdir)
            for n in sorted(self.config.sizes, reverse=True):
                results.runs += self._size(lab, names[:n], playbooks)
                if n == max(self.config.sizes):
                    self._window(lab, names, results)
            results.step_costs = self._step_costs(lab, names[: min(self.config.sizes)])
            self.say("lab capacity")
            results.capacity = measure_capacity(
                lab,
                names,
                self.workdir,
                processes=self.config.capacity_processes,
                hosts=self.config.capacity_hosts,
                forks=max(self.config.forks),
            )
        results.help_s = self._help_times()
        return results

    def _clients(self) -> int:
        c = self.config
        return max(5, *c.sizes, c.window_hosts, c.capacity_processes * c.capacity_hosts)

    def _size(self, lab: LabProcess, hosts: list[str], playbooks: dict[str, Path]) -> list[Run]:
        inventory = write_inventory(lab.inventory, hosts, f"hosts-{len(hosts)}.yml")
        inventories = {"engine": inventory, "baseline": inventory}
        if "ansible" in self.tools:
            name = f"ansible-hosts-{len(hosts)}.yml"
            inventories["ansible"] = ansible.write_inventory(lab.inventory, hosts, name)
        runs = []
        for i, forks in enumerate(self.config.forks):
            for tool in self.tools if i % 2 == 0 else tuple(reversed(self.tools)):
                self.phase = "b" if self.phase == "a" else "a"
                for variant in ("change", "nochange"):
                    job = Job(
                        tool,
                        variant,
                        tuple(hosts),
                        forks,
                        STEPS,
                        inventories[tool],
                        self._playbook(tool, variant, playbooks),
                        self.phase,
                    )
                    runs.append(self._execute(lab, job))
        return runs

    def _playbook(self, tool: str, variant: str, playbooks: dict[str, Path]) -> Path:
        if tool == "ansible":
            return ansible.write_playbook(self.workdir, self.phase, change=variant == "change")
        return playbooks[self.phase]

    def _window(self, lab: LabProcess, names: list[str], results: Results) -> None:
        hosts = names[: self.config.window_hosts]
        inventory = write_inventory(lab.inventory, hosts, "window-hosts.yml")
        guest_now = PHASES[self.phase].guest_enabled
        playbook = window_playbook(self.workdir, guest_now)
        job = Job(
            "engine", "window", tuple(hosts), self.config.window_forks, 1, inventory, playbook
        )
        run = self._execute(lab, job)
        results.window_run = run
        results.window = revert_timing(run.measured.stdout, len(hosts), job.forks)

    def _step_costs(self, lab: LabProcess, hosts: list[str]) -> list[Run]:
        """Each step alone, with nothing to change: the pipelines it costs per host."""
        inventory = write_inventory(lab.inventory, hosts, "step-hosts.yml")
        runs = []
        for step in steps(PHASES[self.phase]):
            name = str(step["name"])
            path = self.workdir / f"step-{name.replace(' ', '-')}.yml"
            playbook = write_playbook(path, f"bench step {name}", [step])
            job = Job("engine", f"step:{name}", tuple(hosts), 1, 1, inventory, playbook)
            runs.append(self._execute(lab, job))
        return runs

    def _execute(self, lab: LabProcess, job: Job) -> Run:
        self.count += 1
        label = f"{self.count:03d}-{job.tool}-{job.variant.replace(':', '-').replace(' ', '-')}"
        self.say(f"{label}: {len(job.hosts)} hosts, forks {job.forks}")
        run = execute(job, lab, self.workdir, label)
        self.say(
            f"  {run.measured.wall_s:.1f}s wall, {run.measured.cpu_all_s:.1f}s cpu,"
            f" {run.measured.peak_tree_mb:.0f} MB all processes,"
            f" {run.per_host_step:.2f} pipelines and {run.http_per_host_step:.1f} HTTP requests"
            f"/host x step, lab {run.lab_cpu_share:.0%} cpu"
        )
        return run

    def _help_times(self) -> list[float]:
        times = []
        for _ in range(self.config.help_runs):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "orchestrator", "--help"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - started)
        self.say(f"orchestrator --help: median {statistics.median(times):.3f}s")
        return times
