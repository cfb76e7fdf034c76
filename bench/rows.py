"""The rows of the results tables: the runs of one variant and forks, by N, and their ratios."""

from __future__ import annotations

from bench.runs import Run
from bench.suite import Results


def pairs(results: Results, variant: str, forks: int) -> list[tuple[int, Run, Run]]:
    """(N, engine run, baseline run) for one variant and forks, by N."""
    return [(n, e, b) for n, e, b, _ in rows(results, variant, forks)]


def rows(results: Results, variant: str, forks: int) -> list[tuple[int, Run, Run, Run | None]]:
    """(N, engine run, baseline run, Ansible run or None) for one variant and forks, by N."""
    found: dict[tuple[str, int], Run] = {}
    for run in results.runs:
        if run.job.variant == variant and run.job.forks == forks:
            found[(run.job.tool, len(run.job.hosts))] = run
    sizes = sorted({n for _, n in found})
    return [
        (n, found[("engine", n)], found[("baseline", n)], found.get(("ansible", n)))
        for n in sizes
        if ("engine", n) in found and ("baseline", n) in found
    ]


def ratio(engine: Run, baseline: Run) -> float:
    """Engine wall time over baseline wall time."""
    return engine.measured.wall_s / baseline.measured.wall_s


def ansible_ratio(ansible: Run, engine: Run) -> float:
    """Ansible wall time over engine wall time."""
    return ansible.measured.wall_s / engine.measured.wall_s
