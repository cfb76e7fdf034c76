"""One measured run of the engine, the baseline or Ansible against the lab, with the lab's side
of it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench import ansible
from bench.lab import LabDelta, LabProcess
from bench.measure import Measured, run_measured

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "bench" / "baseline.py"


@dataclass(frozen=True)
class Job:
    """What to run: which tool, which workload, on how many hosts, with how many forks."""

    tool: str  # engine | baseline | ansible
    variant: str  # nochange | change | probe | window | step:<name>
    hosts: tuple[str, ...]
    forks: int
    steps: int
    inventory: Path  # Ansible's own for ansible
    playbook: Path | None = None  # the engine's, or Ansible's
    phase: str = "a"  # the baseline's

    def argv(self, state_dir: Path) -> list[str]:
        """The command line."""
        if self.tool == "ansible":
            assert self.playbook is not None
            return ansible.argv(self.playbook, self.inventory, self.forks)
        if self.tool == "engine":
            assert self.playbook is not None
            return [
                *(sys.executable, "-m", "orchestrator", "run", str(self.playbook)),
                *("-i", str(self.inventory), "--yes", "--log-format", "json"),
                *("--forks", str(self.forks), "--state-dir", str(state_dir)),
            ]
        probe = ["--probe-only"] if self.variant == "probe" else []
        return [
            *(sys.executable, str(BASELINE), str(self.inventory), "--phase", self.phase),
            *("--forks", str(self.forks), *probe),
        ]


@dataclass(frozen=True)
class Run:
    """A finished job: its process's costs and what the lab saw meanwhile."""

    job: Job
    measured: Measured
    lab: LabDelta

    @property
    def pipelines(self) -> int:
        """Pipelines the lab ran on the job's hosts."""
        return self.lab.pipelines_on(list(self.job.hosts))

    @property
    def per_host_step(self) -> float:
        """Pipelines per host x step."""
        return self.pipelines / max(1, len(self.job.hosts) * self.job.steps)

    @property
    def http_per_host_step(self) -> float:
        """HTTP requests the lab served (authentication legs included) per host x step: only
        the run's hosts are reached while it runs."""
        return self.lab.http_requests / max(1, len(self.job.hosts) * self.job.steps)

    @property
    def lab_cpu_share(self) -> float:
        """The lab's CPU time over the run's wall time (1.0 = one core busy throughout)."""
        return self.lab.cpu_s / max(self.measured.wall_s, 1e-9)


class RunFailedError(RuntimeError):
    """A measured run did not succeed: its numbers would mean nothing."""


def execute(job: Job, lab: LabProcess, workdir: Path, label: str) -> Run:
    """Run the job, sampling the lab before and after."""
    env = ansible.environment(workdir) if job.tool == "ansible" else None
    before = lab.sample()
    measured = run_measured(
        job.argv(workdir / f"state-{label}"), cwd=workdir, output=workdir / f"{label}.out", env=env
    )
    after = lab.sample()
    if measured.returncode != 0:
        err = ((workdir / f"{label}.err").read_text() or measured.stdout)[-2000:]
        raise RunFailedError(f"{label}: exit {measured.returncode}\n{err}")
    return Run(job, measured, LabDelta.between(before, after))
