"""The results as JSON (every number) and Markdown (tables, targets, the machine)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.peer_targets import peer_targets
from bench.rows import ansible_ratio, pairs, ratio, rows
from bench.runs import Run
from bench.suite import Results

__all__ = ["pairs", "ratio", "to_json", "to_markdown"]

RATIO_TARGET = 1.10
RATIO_AT = 200
SCALE_AT = 1000
SCALE_FORKS = 50
WALL_TARGET_S = 60.0
RSS_TARGET_MB = 400.0
HELP_TARGET_S = 0.3


def run_data(run: Run) -> dict[str, Any]:
    """A run as JSON-able data (the child's output left out)."""
    measured = asdict(run.measured)
    measured.pop("stdout")
    job = asdict(run.job)
    job["hosts"] = len(run.job.hosts)
    return {
        "job": {k: str(v) if isinstance(v, Path) else v for k, v in job.items()},
        "measured": {**measured, "cpu_all_s": run.measured.cpu_all_s},
        "lab": {k: v for k, v in asdict(run.lab).items() if k != "pipelines"},
        "pipelines": run.pipelines,
        "pipelines_per_host_step": run.per_host_step,
        "http_requests_per_host_step": run.http_per_host_step,
        "lab_cpu_share": run.lab_cpu_share,
    }


def to_json(results: Results, machine: dict[str, object]) -> str:
    """Every number, for machines."""
    capacity = results.capacity
    data = {
        "machine": machine,
        "config": asdict(results.config),
        "lab_start_s": results.lab_start_s,
        "lab_clients": results.lab_clients,
        "runs": [run_data(r) for r in results.runs],
        "step_costs": [run_data(r) for r in results.step_costs],
        "window": asdict(results.window) if results.window else None,
        "window_run": run_data(results.window_run) if results.window_run else None,
        "capacity": {
            **asdict(capacity),
            "requests_per_s": capacity.requests_per_s,
            "pipelines_per_s": capacity.pipelines_per_s,
            "cpu_share": capacity.cpu_share,
            "lock_share": capacity.lock_share,
            "in_invoke": capacity.in_invoke,
        }
        if capacity
        else None,
        "help_s": results.help_s,
        "error": results.error,
        "tables": {
            f"{variant}-forks{forks}": [
                {
                    "n": n,
                    "ratio": ratio(e, b),
                    "ansible_ratio": ansible_ratio(a, e) if a is not None else None,
                }
                for n, e, b, a in rows(results, variant, forks)
            ]
            for variant in ("nochange", "change")
            for forks in results.config.forks
        },
    }
    return json.dumps(data, indent=2, default=str) + "\n"


_HEAD = (
    "| N | engine wall s | pypsrp wall s | Ansible wall s | CPU s (engine / pypsrp / Ansible) "
    "| peak RSS MB, all processes (engine / pypsrp / Ansible) "
    "| HTTP requests / host x step (engine / pypsrp / Ansible) "
    "| pipelines / host x step (engine / pypsrp / Ansible) | lab CPU (engine run) "
    "| engine / pypsrp | Ansible / engine |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)
_NONE = "-"


def _cells(runs: tuple[Run, Run, Run | None], get: Callable[[Run], float], fmt: str) -> str:
    """'engine / pypsrp / Ansible' of one measure ('-' where Ansible did not run)."""
    return " / ".join(_NONE if r is None else format(get(r), fmt) for r in runs)


def table(results: Results, variant: str, forks: int) -> str:
    """One row per N: N first, the wall-time ratios engine / pypsrp and Ansible / engine last.

    Wall and CPU time are each run's whole process tree (os.wait4 and samples); peak RSS is the
    sampled Pss sum of all its processes; HTTP requests and pipelines are counted by the lab."""
    lines = [_HEAD]
    for n, e, b, a in rows(results, variant, forks):
        runs = (e, b, a)
        lines.append(
            f"| {n} | {e.measured.wall_s:.1f} | {b.measured.wall_s:.1f}"
            f" | {_NONE if a is None else format(a.measured.wall_s, '.1f')}"
            f" | {_cells(runs, lambda r: r.measured.cpu_all_s, '.1f')}"
            f" | {_cells(runs, lambda r: r.measured.peak_tree_mb, '.0f')}"
            f" | {_cells(runs, lambda r: r.http_per_host_step, '.2f')}"
            f" | {_cells(runs, lambda r: r.per_host_step, '.2f')}"
            f" | {e.lab_cpu_share:.0%} | {ratio(e, b):.2f}"
            f" | {_NONE if a is None else format(ansible_ratio(a, e), '.2f')} |"
        )
    return "\n".join(lines)


_VARIANTS = {
    "nochange": "nothing changes (each step only probes)",
    "change": "everything changes (each step probes, then changes)",
}


def tables(results: Results) -> Iterator[str]:
    """Every table, titled."""
    for variant, title in _VARIANTS.items():
        for forks in results.config.forks:
            yield f"### 5 steps, {title}, forks {forks}\n\n{table(results, variant, forks)}\n"


def _verdict(ok: bool) -> str:
    return "holds" if ok else "**missed**"


def targets(results: Results) -> Iterator[str]:
    """Each target of issue 7, with the numbers and whether it holds (issue 13's tightened
    some of them: peer_targets.py)."""
    yield from _ratio_target(results)
    yield from _scale_target(results)
    yield from _pipeline_target(results)
    if results.help_s:
        median = statistics.median(results.help_s)
        ok = median <= HELP_TARGET_S
        yield (
            f"- `orchestrator --help` <= {HELP_TARGET_S} s: median {median:.3f} s, best"
            f" {min(results.help_s):.3f} s of {len(results.help_s)}: {_verdict(ok)}"
        )
    if results.window is not None:
        w = results.window
        fits = w.revert_s <= w.budget_s and w.complete
        yield (
            f"- window revert of {w.hosts} hosts at forks {w.forks}: {w.revert_s:.1f} s measured"
            f" ({w.undone} undos verified, complete: {w.complete}) against the feasibility"
            f" estimate {w.budget_s:.0f} s ({w.budget_explained}): {_verdict(fits)}"
        )


def _ratio_target(results: Results) -> Iterator[str]:
    for variant in _VARIANTS:
        for forks in results.config.forks:
            for n, e, b in pairs(results, variant, forks):
                if n == RATIO_AT:
                    r = ratio(e, b)
                    yield (
                        f"- engine/baseline <= {RATIO_TARGET} at {n} hosts x 5 steps, {variant},"
                        f" forks {forks}: {r:.2f}: {_verdict(r <= RATIO_TARGET)}"
                    )


def _scale_target(results: Results) -> Iterator[str]:
    for variant in _VARIANTS:
        for n, e, b in pairs(results, variant, SCALE_FORKS):
            if n == SCALE_AT:
                m = e.measured
                ok = m.wall_s <= WALL_TARGET_S and m.peak_tree_mb <= RSS_TARGET_MB
                yield (
                    f"- {n} hosts x 5 steps at forks {SCALE_FORKS}, {variant}: {m.wall_s:.1f} s"
                    f" wall (<= {WALL_TARGET_S:.0f}), {m.peak_tree_mb:.0f} MB peak RSS of all"
                    f" its processes (<= {RSS_TARGET_MB:.0f}); the baseline alone took"
                    f" {b.measured.wall_s:.1f} s: {_verdict(ok)}"
                )


def _pipeline_target(results: Results) -> Iterator[str]:
    if not results.step_costs:
        return
    costs = [
        f"{r.job.variant.removeprefix('step:')} {r.per_host_step:g}" for r in results.step_costs
    ]
    ok = all(r.per_host_step == 1 for r in results.step_costs)
    yield (
        "- a step with nothing to change costs exactly one pipeline (pipelines per host, each"
        f" step alone): {', '.join(costs)}: {_verdict(ok)}"
    )


def lab_section(results: Results) -> Iterator[str]:
    """How hard the lab worked: is it the bottleneck?"""
    shares = [r.lab_cpu_share for r in results.runs]
    if shares:
        yield (
            f"- During the measured runs the lab process used {min(shares):.0%} to"
            f" {max(shares):.0%} of one core (it is one Python process: 100% would make it"
            " the bottleneck)."
        )
    held = [r.lab.held_s / r.measured.wall_s for r in results.runs if r.measured.wall_s]
    if held:
        yield (
            f"- The domain backend's global lock was held {max(held):.0%} of a run's wall time"
            " at most (cmdlets running under it), so that lock is"
            f" {'not ' if max(held) < 0.5 else ''}what limits throughput."
        )
    c = results.capacity
    if c is not None:
        yield (
            f"- Capacity: {c.processes} baseline processes probing {c.hosts_per_process} hosts each"
            f" at forks {c.forks} at once: {c.requests_per_s:.0f} HTTP requests/s,"
            f" {c.pipelines_per_s:.0f} pipelines/s, lab CPU {c.cpu_share:.0%} of one core,"
            f" backend lock held {c.lock_share:.0%} of the time ({c.in_invoke:.1f} pipelines"
            f" waiting for it or in it on average), {c.peak_open_shells} runspace pools open"
            " at once at the peak."
        )
    yield f"- The lab started with {results.lab_clients} clients in {results.lab_start_s:.1f} s."


def machine_section(machine: dict[str, object]) -> str:
    """The machine, as a list."""
    packages = machine.get("packages", {})
    assert isinstance(packages, dict)
    versions = ", ".join(f"{k} {v}" for k, v in packages.items())
    load = machine.get("load_average")
    return "\n".join(
        [
            f"- CPU: {machine.get('cpu')}, {machine.get('cores')} cores",
            f"- RAM: {float(str(machine.get('memory_gib') or 0)):.1f} GiB",
            f"- OS: {machine.get('os')}",
            f"- Python {machine.get('python')}; {versions}",
            f"- load average when the run began: {load} (the machine is shared)",
            f"- orchestrator at {machine.get('revision')}",
        ]
    )


def to_markdown(results: Results, machine: dict[str, object]) -> str:
    """The results page."""
    parts = [
        "# Benchmark results\n",
        "Written by `make bench` (bench/README.md says how and what the numbers mean). Wall",
        "and CPU time are each run's whole process tree (os.wait4, and /proc samples for what",
        "nobody waited for); peak RSS is the sum of the",
        "proportional set sizes of all its processes, sampled every 0.2 s; HTTP requests and",
        "pipelines (WS-Management Command requests) are counted by the lab on the run's hosts.",
        "pypsrp is the baseline, a plain pypsrp script in one process (bench/baseline.py);",
        "Ansible is ansible-core's psrp connection running `raw` tasks (bench/ansible.py); both",
        "send the same cmdlets as the engine, with the same forks, to the same lab in the same",
        "run. The ratios are of wall times: engine / pypsrp, and Ansible / engine.\n",
        *([f"**This run stopped early**: {results.error}\n"] if results.error else []),
        "![wall time](scaling.png)\n",
        "## Targets\n",
        "### Issue 13: Ansible as a peer, every core, fewer requests\n",
        *peer_targets(results, int(str(machine.get("cores") or 1))),
        "\n### Issue 7: the first targets\n",
        *targets(results),
        "\n## The lab\n",
        *lab_section(results),
        "\n## Tables\n",
        *tables(results),
        "## Machine\n",
        machine_section(machine),
        "",
    ]
    return "\n".join(parts)
