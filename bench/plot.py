"""The plot: wall time against N, engine and baseline, and their ratio (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # no screen: render to a file
import matplotlib.pyplot as plt

from bench.report import RATIO_TARGET, pairs, ratio
from bench.suite import Results


def plot(results: Results, path: Path) -> Path:
    """Wall time (left) and engine/baseline ratio (right) against the number of hosts."""
    fig, (walls, ratios) = plt.subplots(1, 2, figsize=(12, 4.8))
    for variant, style in (("nochange", "-"), ("change", "--")):
        for forks, colour in zip(results.config.forks, ("tab:blue", "tab:orange"), strict=False):
            found = pairs(results, variant, forks)
            if not found:
                continue
            sizes = [n for n, _, _ in found]
            label = f"{variant}, forks {forks}"
            walls.plot(
                sizes,
                [e.measured.wall_s for _, e, _ in found],
                style,
                color=colour,
                marker="o",
                label=f"engine, {label}",
            )
            walls.plot(
                sizes,
                [b.measured.wall_s for _, _, b in found],
                style,
                color=colour,
                marker="x",
                alpha=0.5,
                label=f"baseline, {label}",
            )
            ratios.plot(
                sizes,
                [ratio(e, b) for _, e, b in found],
                style,
                color=colour,
                marker="o",
                label=label,
            )
    walls.set(xlabel="hosts", ylabel="wall time (s)", title="5 steps: engine and plain pypsrp")
    walls.set_xscale("log")
    walls.set_yscale("log")
    walls.legend(fontsize=7)
    ratios.axhline(RATIO_TARGET, color="grey", linestyle=":", label=f"target {RATIO_TARGET}")
    ratios.set(xlabel="hosts", ylabel="engine / baseline wall time", title="overhead")
    ratios.set_xscale("log")
    ratios.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
