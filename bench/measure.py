"""Run a command in a child process and measure it: wall time, CPU time, peak RSS.

`os.wait4` returns the child's own resource usage (its CPU time and its peak resident set),
so nothing else on the machine is counted. POSIX only, like the rest of the bench.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_KIB_PER_MIB = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss: KiB, macOS bytes


@dataclass(frozen=True)
class Measured:
    """One child process: how it ended and what it cost."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stdout: str


def run_measured(argv: list[str], *, cwd: Path, output: Path) -> Measured:
    """Run argv to its end; its stdout goes to `output` (and is returned), stderr to output.err."""
    with output.open("w") as out, output.with_suffix(".err").open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Measured(
        returncode=child.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / _KIB_PER_MIB,
        stdout=output.read_text(),
    )
