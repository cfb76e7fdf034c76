"""kill -9 of the orchestrator inside a window: the target's failsafe closes Guest by the
deadline whatever stage the process died at (issue 5, item 8, the failsafe half)."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest

from orchestrator.lab.backend import DomainBackend

from ..conftest import LabFactory
from .conftest import DEADLINE, USERS, Target
from .window_child import STAGES

pytestmark = pytest.mark.e2e
CHILD = Path(__file__).with_name("window_child.py")
LINE_TIMEOUT = 60.0
SECOND = timedelta(seconds=1)


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The child's stdout, line by line, read on a thread (readline never blocks the test)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _run_until(command: list[str], stage: str) -> list[str]:
    """Start the child, wait until it reports `stage`, then SIGKILL it; the stages it reported."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    seen: list[str] = []
    try:
        lines = _lines(child.stdout)
        while stage not in seen:
            line = lines.get(timeout=LINE_TIMEOUT)
            if line in STAGES:  # the rest is the transport's logging
                seen.append(line)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return seen


def _guest(domain: DomainBackend) -> tuple[bool, bool]:
    """(Guest enabled, Guest in Users) on CAP1."""
    cap = Target(domain, "CAP1")
    guest = cap.guest()
    return guest.enabled, guest.sid in cap.local_members(USERS)


@pytest.mark.parametrize("stage", STAGES)
def test_guest_is_closed_by_the_deadline_after_a_kill(
    lab_factory: LabFactory, tmp_path: Path, stage: str
) -> None:
    """Killed right after any stage of the window, CAP1's Guest is closed at the deadline."""
    lab = lab_factory(scenario="tb1-lockout", clients=0, manual_clock=True)
    domain = lab.backend
    inventory = lab.write_inventory(tmp_path / "inventory" / "inventory.yml")
    now = domain.now()
    command = [sys.executable, str(CHILD), str(inventory), now.isoformat()]
    seen = _run_until([*command, (now + DEADLINE).isoformat(), stage], stage)
    assert seen == list(STAGES[: STAGES.index(stage) + 1])
    opened = _guest(domain)
    assert opened[0] is (stage != "armed-1")
    assert opened[1] is (stage == "applied-2")
    domain.advance(DEADLINE - SECOND)
    assert _guest(domain) == opened
    domain.advance(SECOND)
    assert _guest(domain) == (False, False)
