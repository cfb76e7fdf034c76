"""Shared fixtures: the lab in-process, serving real WinRM on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.lab.harness import LabOptions, RunningLab

LabFactory = Callable[..., RunningLab]


@pytest.fixture
def lab_factory(tmp_path: Path) -> Iterator[LabFactory]:
    """Start labs with chosen options (scenario, clients, tls, manual_clock ...); all are stopped."""
    started: list[RunningLab] = []

    def start(**options: object) -> RunningLab:
        state_dir = tmp_path / f"lab{len(started)}"
        lab = RunningLab(LabOptions(state_dir=state_dir, **options))  # type: ignore[arg-type]
        started.append(lab.start())
        return lab

    yield start
    for lab in reversed(started):
        lab.stop()


@pytest.fixture
def domain_lab(lab_factory: LabFactory) -> RunningLab:
    """The article's broken site (tb1-lockout, 5 clients) over HTTP, its clock driven by hand."""
    return lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True)
