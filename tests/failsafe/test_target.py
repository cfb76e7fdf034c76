"""TargetFailsafes: the window runner's Failsafes over the failsafe logic, per host."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import pytest

from orchestrator.engine.failsafe_target import TargetFailsafes, target_failsafes
from orchestrator.errors import Location, WindowError
from orchestrator.lab.backend import DomainBackend
from orchestrator.playbook.model import Window

from .conftest import DEADLINE, RUN, WINDOW, Target, open_domain_guest, open_member_guest


def test_prepare_arm_disarm_per_host(lab: DomainBackend) -> None:
    """Each host's clock is read, its task armed over its undo (last change first), then removed."""
    lab.set_clock_skew("CAP1", timedelta(minutes=7))
    safes = TargetFailsafes(RUN, WINDOW, lab.now)
    cap, dc = Target(lab, "CAP1"), Target(lab, "DC1")
    deadline = lab.now() + DEADLINE
    for target in (cap, dc):
        target.drive(safes.prepare(target.name, deadline))
    cap_undo = tuple(c for undo in reversed(open_member_guest(cap)) for c in undo)
    armed = cap.drive(safes.arm("CAP1", cap_undo))
    assert armed is not None
    assert armed.start == deadline + timedelta(minutes=7)
    assert [c.cmdlet for c in armed.commands] == ["Remove-LocalGroupMember", "Disable-LocalUser"]
    open_domain_guest(dc)
    assert dc.drive(safes.arm("DC1", ())) is None
    assert set(safes.armed()) == {"CAP1"}
    dc.drive(safes.disarm("DC1"))  # nothing armed there
    cap.drive(safes.disarm("CAP1"))
    assert cap.failsafe_tasks() == []
    assert safes.armed() == {}
    lab.advance(DEADLINE)
    assert cap.guest().enabled


def test_arming_before_the_clock_was_read_is_refused(lab: DomainBackend) -> None:
    """Without the host's clock there is no StartBoundary: WindowError, nothing registered."""
    cap = Target(lab, "CAP1")
    undo = open_member_guest(cap)[0]
    with pytest.raises(WindowError, match="clock was not read"):
        cap.drive(TargetFailsafes(RUN, WINDOW, lab.now).arm("CAP1", undo))
    assert cap.failsafe_tasks() == []


def test_only_windows_with_a_target_failsafe_get_one() -> None:
    """`failsafe: none` windows get no failsafe; `target` ones a TargetFailsafes of their name."""
    factory = target_failsafes(RUN)
    assert factory(_window("none")) is None
    safes = factory(_window("target"))
    assert safes is not None
    assert (safes.run_id, safes.window) == (RUN, "w")


def _window(failsafe: Literal["target", "none"]) -> Window:
    """A window with no steps."""
    return Window(
        name="w", deadline=DEADLINE, failsafe=failsafe, steps=(), path=(), location=Location("p")
    )
