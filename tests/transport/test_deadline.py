"""Per-command deadlines: pypsrp has none (pypsrp #145), so the transport stops the pipeline."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from orchestrator.commands import SWITCH, Command
from orchestrator.errors import OperationTimeout

from .conftest import ClientFactory, LabClient

pytestmark = pytest.mark.e2e

SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"
# on a lab whose clock only moves by hand, Smsman.exe (5 lab-seconds) never exits
WAIT_FOR_SMSMAN = Command.of("Start-Process", FilePath=SMSMAN, Wait=SWITCH, PassThru=SWITCH)


def test_deadline_stops_a_long_running_pipeline(lab_client: ClientFactory) -> None:
    """Start-Process -Wait past its deadline is stopped (ctrl_c) and raises OperationTimeout."""
    client = lab_client()
    transport = client.transport("WKS0001")
    transport.open()
    started = time.monotonic()
    with pytest.raises(OperationTimeout, match="Start-Process did not finish in time"):
        transport.run(WAIT_FOR_SMSMAN, timeout=timedelta(seconds=1))
    assert 1 <= time.monotonic() - started < 2.5
    assert client.counters().soap_requests("Signal", "WKS0001") >= 1  # ctrl_c
    assert transport.run(Command.of("Get-Date")).ok  # the same pool carries on
    assert client.counters().soap_requests("Create", "WKS0001") == 1


def test_a_pipeline_within_its_deadline_returns_its_output(lab_client: ClientFactory) -> None:
    """A deadline longer than the command changes nothing: Smsman.exe exits, its process returns."""
    client = lab_client()
    transport = client.transport("WKS0001")
    transport.open()
    ticker = _advance_lab_clock_after(client, seconds=0.3)
    result = transport.run(WAIT_FOR_SMSMAN, timeout=timedelta(seconds=5))
    ticker.join()
    assert result.ok, result.errors
    (process,) = result.outputs
    assert process["HasExited"] is True


def test_long_command_without_deadline_keeps_polling(lab_client: ClientFactory) -> None:
    """Without a deadline a command longer than operation_timeout is polled until it ends."""
    client = lab_client(
        connection={
            "operation_timeout": timedelta(seconds=0.3),
            "read_timeout": timedelta(seconds=1),
        }
    )
    transport = client.transport("WKS0001")
    transport.open()
    ticker = _advance_lab_clock_after(client, seconds=1.2)
    assert transport.run(WAIT_FOR_SMSMAN).ok
    ticker.join()
    assert client.counters().soap_requests("Receive", "WKS0001") >= 4  # several long-polls


def test_no_time_left_sends_nothing(lab_client: ClientFactory) -> None:
    """A command whose deadline already passed is OperationTimeout without a request."""
    client = lab_client()
    with pytest.raises(OperationTimeout):
        client.transport("DC1").run(Command.of("Get-ADDomain"), timeout=timedelta(0))
    assert client.counters().http_requests == 0


def _advance_lab_clock_after(client: LabClient, *, seconds: float) -> threading.Thread:
    """Let Smsman.exe finish `seconds` from now, by moving the lab's clock past its 5 s."""

    def advance() -> None:
        time.sleep(seconds)
        client.lab.backend.advance(timedelta(seconds=10))

    thread = threading.Thread(target=advance)
    thread.start()
    return thread
