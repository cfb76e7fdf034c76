"""The plot: wall time against N for the engine, plain pypsrp and Ansible, and the ratios
engine / pypsrp and Ansible / engine (matplotlib, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # no screen: render to a file
import matplotlib.pyplot as plt

from bench.peer_targets import ANSIBLE_AT, CORES_RATIO
from bench.report import RATIO_TARGET
from bench.rows import ansible_ratio, ratio, rows
from bench.suite import Results


def plot(results: Results, path: Path) -> Path:
    """Wall times (left), engine / pypsrp (middle), Ansible / engine (right) against hosts."""
    fig, (walls, ratios, peers) = plt.subplots(1, 3, figsize=(16, 4.8))
    for variant, style in (("nochange", "-"), ("change", "--")):
        for forks, colour in zip(results.config.forks, ("tab:blue", "tab:orange"), strict=False):
            _lines(results, variant, forks, (walls, ratios, peers), {"ls": style, "color": colour})
    walls.set(xlabel="hosts", ylabel="wall time (s)", title="5 steps: engine, pypsrp, Ansible")
    walls.set_yscale("log")
    for target in (RATIO_TARGET, CORES_RATIO):
        ratios.axhline(target, color="grey", linestyle=":", label=f"target {target}")
    ratios.set(xlabel="hosts", ylabel="engine / pypsrp wall time", title="against plain pypsrp")
    for n, floor in ANSIBLE_AT.items():
        peers.axhline(floor, color="grey", linestyle=":", label=f"target {floor:g} at {n}")
    peers.set(xlabel="hosts", ylabel="Ansible / engine wall time", title="against Ansible")
    for axes in (walls, ratios, peers):
        axes.set_xscale("log")
        axes.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _lines(results: Results, variant: str, forks: int, axes: tuple[Any, ...], style: Any) -> None:
    walls, ratios, peers = axes
    found = rows(results, variant, forks)
    if not found:
        return
    sizes = [n for n, *_ in found]
    label = f"{variant}, forks {forks}"
    walls.plot(
        sizes,
        [e.measured.wall_s for _, e, _, _ in found],
        marker="o",
        **style,
        label=f"engine, {label}",
    )
    walls.plot(
        sizes,
        [b.measured.wall_s for _, _, b, _ in found],
        marker="x",
        alpha=0.5,
        **style,
        label=f"pypsrp, {label}",
    )
    ratios.plot(sizes, [ratio(e, b) for _, e, b, _ in found], marker="o", **style, label=label)
    peer = [(n, e, a) for n, e, _, a in found if a is not None]
    if peer:
        ansible_sizes = [n for n, _, _ in peer]
        walls.plot(
            ansible_sizes,
            [a.measured.wall_s for _, _, a in peer],
            marker="s",
            alpha=0.5,
            **style,
            label=f"Ansible, {label}",
        )
        peers.plot(
            ansible_sizes,
            [ansible_ratio(a, e) for _, e, a in peer],
            marker="s",
            **style,
            label=label,
        )
