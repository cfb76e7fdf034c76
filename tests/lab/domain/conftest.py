"""Fixtures for the lab's domain side: backends on a hand-driven clock, and pipeline helpers."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import CommandCall, ErrorRecord, InvocationResult, Statement
from orchestrator.lab.scenarios import Overrides

ADMIN = "CONTOSO\\labadmin"
SWITCH = None  # a switch parameter sent without a value


def call(name: str, *positional: Any, **named: Any) -> CommandCall:
    """A command: positional arguments, then named ones (None = a switch)."""
    params = [(None, v) for v in positional] + list(named.items())
    return CommandCall(name, tuple(params))


def run(
    lab: DomainBackend, host: str, *commands: CommandCall, user: str = ADMIN
) -> InvocationResult:
    """Run one statement (commands piped into each other) on a host."""
    return lab.invoke(host, user, [Statement(tuple(commands))], threading.Event())


def run_statements(lab: DomainBackend, host: str, *statements: CommandCall) -> InvocationResult:
    """Run several one-command statements in one pipeline."""
    return lab.invoke(host, ADMIN, [Statement((c,)) for c in statements], threading.Event())


def ok(result: InvocationResult) -> list[Any]:
    """The outputs of a pipeline that must have succeeded without any error."""
    assert result.terminating is None, result.terminating
    assert result.errors == [], result.errors
    return result.outputs


def only_error(result: InvocationResult) -> ErrorRecord:
    """The single non-terminating error of a pipeline that completed."""
    assert result.terminating is None, result.terminating
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def failed(result: InvocationResult) -> ErrorRecord:
    """The terminating error of a pipeline that failed."""
    assert result.terminating is not None, (result.outputs, result.errors)
    return result.terminating


def hourly(clients: int = 5, era: str | None = None) -> Overrides:
    """The article's timing: CCIM retry 60 minutes, 23-hour cycle."""
    return Overrides(
        clients=clients,
        era=era,
        retry_interval=timedelta(minutes=60),
        success_interval=timedelta(hours=23),
    )


@pytest.fixture
def tb1() -> DomainBackend:
    """tb1-lockout (NT4 era) with 5 clients, hourly retries, clock driven by hand."""
    return DomainBackend.from_scenario("tb1-lockout", hourly(), manual_clock=True)


@pytest.fixture
def tb1_modern() -> DomainBackend:
    """tb1-lockout in the modern era (N-2 exemption, Guest barriers)."""
    return DomainBackend.from_scenario("tb1-lockout", hourly(era="modern"), manual_clock=True)


@pytest.fixture
def healthy() -> DomainBackend:
    """The healthy scenario with 5 clients, clock driven by hand."""
    return DomainBackend.from_scenario("healthy", hourly(), manual_clock=True)
