"""Shared fixtures: the lab in-process, serving real WinRM on loopback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

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


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Each test starts from structlog's defaults: a command run in-process configures logging
    for its process, as the CLI does once, and that must not carry into the next test."""
    yield
    structlog.reset_defaults()
    for name in ("pypsrp", "spnego", "requests_ntlm", "urllib3"):
        logging.getLogger(name).setLevel(logging.NOTSET)
