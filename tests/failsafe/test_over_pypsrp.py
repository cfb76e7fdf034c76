"""The failsafe through pypsrp to the lab over a real socket: Get-Date's DateTime, the task's
XML and Get-ScheduledTask's objects on the wire."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.commands import Command
from orchestrator.engine.failsafe import FailsafePlan, arm, disarm, last_run, read_clock
from orchestrator.engine.step import Status, drive, execute
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import Logic, StepContext, T

from ..transport.conftest import ClientFactory, lab_client
from .conftest import DEADLINE, GUEST, RUN, USERS, WINDOW

pytestmark = pytest.mark.e2e
__all__ = ["lab_client"]  # the transport tests' fixture, used here too

SECOND = timedelta(seconds=1)


def test_a_slow_host_is_closed_at_the_deadline_over_the_wire(lab_client: ClientFactory) -> None:
    """A host 7 minutes slow: skew read over pypsrp, task armed and checked, fired on time,
    then disarmed twice."""
    client = lab_client(clients=0)
    domain = client.lab.backend
    domain.set_clock_skew("CAP1", timedelta(minutes=-7))
    transport = client.transport("CAP1")

    def over_the_wire(logic: Logic[T]) -> T:
        return drive(logic, transport, sleep=lambda _s: None)

    changes: list[tuple[Command, ...]] = []
    for module, raw in (
        ("local_user", {"sid": GUEST, "enabled": True}),
        ("local_group_member", {"group_sid": USERS, "members": [GUEST]}),
    ):
        spec = MODULES[module]
        step = execute(spec.implementation, spec.args.model_validate(raw), StepContext("CAP1"))
        outcome = over_the_wire(step)
        assert outcome.status is Status.CHANGED
        changes.append(outcome.undo or ())
    clock = over_the_wire(read_clock(domain.now()))
    assert clock.skew == timedelta(minutes=-7)
    deadline = domain.now() + DEADLINE
    plan = FailsafePlan(RUN, WINDOW, "CAP1", deadline, clock, tuple(changes))
    armed = over_the_wire(arm(plan))
    assert armed.start == deadline - timedelta(minutes=7)
    waiting = over_the_wire(last_run(armed))
    assert waiting is not None
    assert (waiting.ran, waiting.last_result) == (False, 0x41303)  # has not yet run
    domain.advance(DEADLINE - SECOND)
    guest = domain.local_account("CAP1", "Guest")
    assert guest is not None
    assert guest.enabled
    domain.advance(SECOND)
    guest = domain.local_account("CAP1", "Guest")
    assert guest is not None
    assert not guest.enabled
    ran = over_the_wire(last_run(armed))
    assert ran is not None
    assert ran.succeeded
    over_the_wire(disarm(armed))
    over_the_wire(disarm(armed))
    assert over_the_wire(last_run(armed)) is None
