"""Journal fixtures: a state directory, an open journal, a run with files to digest, a clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.journal import Journal, RunRecord

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    """A hand-driven clock starting at T0."""
    return FakeClock()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state directory (not created yet)."""
    return tmp_path / "state"


@pytest.fixture
def journal(state: Path, clock: FakeClock) -> Iterator[Journal]:
    """An open journal on the fake clock, closed after the test."""
    opened = Journal.open(state, clock=clock)
    yield opened
    opened.close()


def start_run(
    journal: Journal, tmp: Path, *, run_id: str | None = None, domain: str = "lab"
) -> RunRecord:
    """A new run of a small playbook and inventory written under tmp."""
    playbook, inventory = tmp / "play.yml", tmp / "inv.yml"
    playbook.write_text("name: p\nsteps: []\n")
    inventory.write_text("all: {}\n")
    return journal.start_run(
        playbook=playbook, inventory=inventory, vars_json="{}", domain_key=domain, run_id=run_id
    )
