"""Failsafes against the lab in-process (LabTransport), on a clock driven by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from orchestrator.commands import Command, CommandResult
from orchestrator.engine.failsafe import ArmedFailsafe, FailsafePlan, TargetClock, arm, read_clock
from orchestrator.engine.step import Status, drive, execute
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.views import AccountView
from orchestrator.lab.scenarios import Overrides
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import Logic, StepContext, T

from ..lab_transport import LabTransport

ADMIN = "CONTOSO\\labadmin"
GUEST = "S-1-5-21-*-501"
USERS = "S-1-5-32-545"
RUN = "20000104-150000-ab12"
WINDOW = "guest-access"
DEADLINE = timedelta(hours=2)
Undo = tuple[Command, ...]


@pytest.fixture
def lab() -> DomainBackend:
    """The article's site without clients (nothing else on the clock), driven by hand."""
    return DomainBackend.from_scenario("tb1-lockout", Overrides(clients=0), manual_clock=True)


@dataclass
class Target:
    """One lab host as the window engine sees it: steps, its clock, its failsafe."""

    lab: DomainBackend
    name: str

    def transport(self) -> LabTransport:
        """A fresh in-process transport to the host."""
        return LabTransport(self.lab, self.name, ADMIN)

    def drive(self, logic: Logic[T]) -> T:
        """Run sans-IO logic against the host."""
        return drive(logic, self.transport(), sleep=lambda _s: None)

    def run(self, cmdlet: str, **params: Any) -> CommandResult:
        """One command on the host."""
        return self.transport().run(Command.of(cmdlet, **params))

    def change(self, module: str, **raw: Any) -> Undo:
        """Run a step that must change something; its undo commands."""
        spec = MODULES[module]
        given = spec.args.model_validate(raw)
        outcome = self.drive(execute(spec.implementation, given, StepContext(self.name)))
        assert outcome.status is Status.CHANGED, outcome.diff
        assert outcome.undo, outcome.diff
        return outcome.undo

    def clock(self) -> TargetClock:
        """The host's clock, read now."""
        return self.drive(read_clock(self.lab.now()))

    def plan(self, changes: Sequence[Undo], deadline: datetime, **extra: Any) -> FailsafePlan:
        """The failsafe plan of this host's changes so far."""
        return FailsafePlan(RUN, WINDOW, self.name, deadline, self.clock(), tuple(changes), **extra)

    def arm(self, changes: Sequence[Undo], deadline: datetime) -> ArmedFailsafe:
        """Arm (or re-arm) the host's failsafe over its changes so far."""
        return self.drive(arm(self.plan(changes, deadline)))

    def guest(self) -> AccountView:
        """The host's Guest (the domain Guest on a DC)."""
        found = self.lab.local_account(self.name, "Guest")
        assert found is not None
        return found

    def local_members(self, group_sid: str) -> list[str]:
        """SIDs of a local group's members."""
        result = self.run("Get-LocalGroupMember", SID=group_sid)
        assert result.ok, result.errors
        return [str(m["SID"]) for m in result.outputs]

    def ad_members(self, group: str) -> list[str]:
        """SIDs of an AD group's (TTL-valid) members."""
        result = self.run("Get-ADGroupMember", Identity=group)
        assert result.ok, result.errors
        return [str(m["SID"]) for m in result.outputs]

    def failsafe_tasks(self) -> list[Any]:
        """Every task in the failsafe's folder."""
        return list(self.run("Get-ScheduledTask", TaskPath="\\orchestrator\\").outputs)


def open_member_guest(cap: Target) -> list[Undo]:
    """Q236052 on a member CAP: its local Guest enabled, then put in local Users."""
    return [
        cap.change("local_user", sid=GUEST, enabled=True),
        cap.change("local_group_member", group_sid=USERS, members=[GUEST]),
    ]


def open_domain_guest(dc: Target) -> list[Undo]:
    """Q236052 on a DC CAP: the domain Guest enabled, then put in Domain Users."""
    return [
        dc.change("ad_user", sid=GUEST, enabled=True),
        dc.change("ad_group_member", group="Domain Users", members=[GUEST]),
    ]
