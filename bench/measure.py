"""Run a command in a child process and measure it: wall time, CPU time, peak memory.

`os.wait4` returns the child's resource usage with that of the descendants it waited for (its
CPU time, those processes included, and the largest single peak resident set). The whole
process tree is sampled besides, every 0.2 s, from /proc (Linux): the sum of the proportional
set sizes (Pss, shared pages split between their sharers) of the child and all its
descendants, whose peak is never taken as less than the largest single process (a run shorter
than a sample period could miss it); and each process's CPU time when last seen, which counts
descendants nobody waited for (wait4 misses those; a sample misses a process's last 0.2 s).
POSIX only, like the rest of the bench.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_KIB_PER_MIB = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss: KiB, macOS bytes
_PROC = Path("/proc")
SAMPLE_EVERY_S = 0.2


@dataclass(frozen=True)
class Measured:
    """One child process: how it ended and what it cost."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # the largest single process (ru_maxrss)
    stdout: str
    peak_tree_mb: float = 0.0  # all processes of the run at once (sampled Pss sum)
    tree_cpu_s: float = 0.0  # CPU time of every process of the run, as last sampled

    @property
    def cpu_all_s(self) -> float:
        """CPU time of all processes: wait4's, or the samples' when they saw more."""
        return max(self.cpu_s, self.tree_cpu_s)


def run_measured(
    argv: list[str], *, cwd: Path, output: Path, env: Mapping[str, str] | None = None
) -> Measured:
    """Run argv to its end; its stdout goes to `output` (and is returned), stderr to output.err."""
    with output.open("w") as out, output.with_suffix(".err").open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env=env)
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    peak_rss_mb = usage.ru_maxrss / _KIB_PER_MIB
    return Measured(
        returncode=child.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak_rss_mb,
        stdout=output.read_text(),
        peak_tree_mb=max(sampler.peak_kib / 1024, peak_rss_mb),
        tree_cpu_s=sampler.cpu_s(),
    )


class TreeSampler:
    """Samples a process and its descendants on a thread: the peak of their Pss sum, and each
    one's CPU time when last seen."""

    def __init__(self, root: int, every_s: float = SAMPLE_EVERY_S) -> None:
        self.root = root
        self.every_s = every_s
        self.peak_kib = 0
        self._ticks: dict[int, int] = {}  # pid -> utime + stime when last seen
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def start(self) -> None:
        """Begin sampling (nothing happens without /proc)."""
        if _PROC.is_dir():
            self._thread.start()

    def stop(self) -> None:
        """Stop sampling; the peak and the CPU times stay."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def cpu_s(self) -> float:
        """The CPU time of every process seen, as last seen."""
        return sum(self._ticks.values()) / _TICKS_PER_S

    def _run(self) -> None:
        while True:
            stats = _stats()
            pids = tree(self.root, stats)
            for pid in pids:
                self._ticks[pid] = stats[pid][1]
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(pid) for pid in pids))
            if self._done.wait(self.every_s):
                return


_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stats() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, utime + stime in clock ticks), from /proc/PID/stat."""
    found = {}
    for entry in os.scandir(_PROC):
        if entry.name.isdigit():
            try:
                stat = (_PROC / entry.name / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            fields = stat.rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def tree(root: int, stats: dict[int, tuple[int, int]]) -> list[int]:
    """`root` and its descendants that are alive in `stats`."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root] if root in stats else []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _pss_kib(pid: int) -> int:
    try:
        text = (_PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:  # gone meanwhile, or not ours to read
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0
