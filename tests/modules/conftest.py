"""Driving step modules against the lab in-process: a fresh domain per test, on a manual clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from orchestrator.commands import Command, CommandResult
from orchestrator.engine.step import Status, StepOutcome, drive, execute
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.scenarios import Overrides
from orchestrator.modules import MODULES
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import Logic, Progress, StepContext, T
from orchestrator.transport.psrp.pipeline import check_parameters

from ..lab_transport import LabTransport

ADMIN = "CONTOSO\\labadmin"


@pytest.fixture
def lab() -> DomainBackend:
    """The article's broken site (tb1-lockout, 5 clients), clock driven by hand."""
    return DomainBackend.from_scenario("tb1-lockout", Overrides(clients=5), manual_clock=True)


@pytest.fixture
def healthy() -> DomainBackend:
    """A healthy site with two connection accounts, clock driven by hand."""
    return DomainBackend.from_scenario("healthy", Overrides(clients=5), manual_clock=True)


@dataclass
class Recorder:
    """A LabTransport that records what it sent; `read_only` refuses mutating commands;
    `clock`, when given, is moved while a command waits on it (Start-Process -Wait)."""

    inner: LabTransport
    read_only: bool = False
    sent: list[Command] = field(default_factory=list)
    clock: DomainBackend | None = None

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Forward the command (a mutating one fails the test when read-only)."""
        self.sent.append(command)
        assert not (self.read_only and command.mutating), f"mutating: {command.describe()}"
        check_parameters(command)  # what the pypsrp transport could not send fails here too
        if self.clock is None:
            return self.inner.run(command, timeout=timeout)
        return self._while_the_clock_runs(command, self.clock)

    def _while_the_clock_runs(self, command: Command, clock: DomainBackend) -> CommandResult:
        results: list[CommandResult] = []
        worker = threading.Thread(target=lambda: results.append(self.inner.run(command)))
        worker.start()
        for _ in range(600):
            worker.join(timeout=0.005)
            if not worker.is_alive():
                return results[0]
            clock.advance(timedelta(seconds=1))
        raise AssertionError(f"{command.cmdlet} never returned")

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class Host:
    """One lab host, as a module's step sees it."""

    lab: DomainBackend
    name: str
    sleeps: list[float] = field(default_factory=list)
    progress: list[Progress] = field(default_factory=list)
    sent: list[Command] = field(default_factory=list)
    clocked: bool = False  # the lab clock moves while a command waits on it

    def transport(self, *, read_only: bool = False) -> Recorder:
        """A recording transport to this host (`sent` collects every command)."""
        inner = LabTransport(self.lab, self.name, ADMIN)
        return Recorder(inner, read_only, self.sent, self.lab if self.clocked else None)

    def mutations(self) -> list[str]:
        """The mutating commands sent so far, as PowerShell shows them."""
        return [c.describe() for c in self.sent if c.mutating]

    def drive(self, logic: Logic[T], transport: Recorder | None = None) -> T:
        """Run sans-IO logic; a Wait advances the lab clock instead of sleeping."""
        return drive(
            logic,
            transport or self.transport(),
            sleep=self._sleep,
            on_progress=self.progress.append,
        )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.lab.advance(timedelta(seconds=seconds))

    def step(self, module: str, args: ArgsModel, ctx: StepContext | None = None) -> StepOutcome:
        """probe -> diff -> apply through `execute`."""
        spec = MODULES[module]
        return self.drive(execute(spec.implementation, args, ctx or StepContext(self.name)))

    def probe(self, module: str, args: ArgsModel, ctx: StepContext | None = None) -> Any:
        """The module's probe alone, through a transport that refuses mutating commands."""
        spec = MODULES[module]
        transport = self.transport(read_only=True)
        before = self.lab.state_digest()
        state = self.drive(
            spec.implementation.probe(args, ctx or StepContext(self.name)), transport
        )
        assert self.lab.state_digest() == before, "the probe changed the domain"
        assert transport.sent, "the probe sent nothing"
        return state

    def apply(self, module: str, args: ArgsModel, state: Any) -> None:
        """The module's apply alone, over a state probed earlier (a race between the two)."""
        implementation = MODULES[module].implementation
        self.drive(implementation.apply(args, state, StepContext(self.name)))

    def undo(self, commands: tuple[Command, ...] | None) -> None:
        """Run undo commands in order; each must succeed."""
        assert commands is not None, "the step cannot be undone"
        transport = self.transport()
        for command in commands:
            assert command.mutating, command.describe()
            result = transport.run(command)
            assert result.ok, result.errors


def args(module: str, **raw: Any) -> ArgsModel:
    """A module's arguments, validated as the playbook loader does."""
    return MODULES[module].args.model_validate(raw)


def changed_then_ok(host: Host, module: str, given: ArgsModel) -> StepOutcome:
    """Run a step twice: it changes, and the second run finds nothing to do."""
    first = host.step(module, given)
    assert first.status is Status.CHANGED, first.diff
    second = host.step(module, given)
    assert second.status is Status.OK, second.diff
    return first


def undone(host: Host, module: str, given: ArgsModel) -> None:
    """Change, undo, and check that a new probe sees exactly the state probed before."""
    before = host.probe(module, given)
    outcome = host.step(module, given)
    assert outcome.status is Status.CHANGED, outcome.diff
    host.undo(outcome.undo)
    assert host.probe(module, given) == before
