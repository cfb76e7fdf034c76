"""The targets of issue 13, judged on one run's tables: Ansible / engine, engine / pypsrp,
HTTP requests per host x step with nothing to change, and the memory of all processes."""

from __future__ import annotations

from collections.abc import Iterator

from bench.rows import ansible_ratio, ratio, rows
from bench.runs import Run
from bench.suite import Results

ANSIBLE_AT = {1000: 10.0, 200: 5.0}  # N -> Ansible / engine at least
CORES_AT, CORES_RATIO = 1000, 0.8  # engine / single-process pypsrp at most
HTTP_TARGET = 2.5  # HTTP requests per host x step with nothing to change, at most
MEMORY_AT, MEMORY_MB = 1000, 400.0  # peak RSS of all processes of the engine's run, at most


def _verdict(ok: bool) -> str:
    return "holds" if ok else "**missed**"


def peer_targets(results: Results) -> Iterator[str]:
    """One line per target and table, with the numbers and whether it holds."""
    for variant in ("nochange", "change"):
        for forks in results.config.forks:
            for n, engine, baseline, ansible in rows(results, variant, forks):
                where = f"{n} hosts, {variant}, forks {forks}"
                yield from _row(where, variant == "nochange", n, (engine, baseline, ansible))


def _row(where: str, probes_only: bool, n: int, runs: tuple[Run, Run, Run | None]) -> Iterator[str]:
    engine, baseline, ansible = runs
    if n in ANSIBLE_AT and ansible is not None:
        r, floor = ansible_ratio(ansible, engine), ANSIBLE_AT[n]
        yield f"- Ansible / engine >= {floor:g} at {where}: {r:.2f}: {_verdict(r >= floor)}"
    if n == CORES_AT:
        r = ratio(engine, baseline)
        ok = r <= CORES_RATIO
        yield f"- engine / pypsrp <= {CORES_RATIO} at {where}: {r:.2f}: {_verdict(ok)}"
    if probes_only:
        h = engine.http_per_host_step
        ok = h <= HTTP_TARGET
        yield f"- HTTP requests / host x step <= {HTTP_TARGET} at {where}: {h:.2f}: {_verdict(ok)}"
    if n == MEMORY_AT:
        mb = engine.measured.peak_tree_mb
        yield (
            f"- peak RSS of all the engine's processes <= {MEMORY_MB:.0f} MB at {where}: {mb:.0f}"
            f" MB: {_verdict(mb <= MEMORY_MB)}"
        )
