"""Long-running pipelines: Receive long-polls with TimedOut faults, Ctrl+C, and concurrency."""

from __future__ import annotations

import threading
import time

import pytest
from pypsrp.complex_objects import PSInvocationState
from pypsrp.exceptions import WSManFaultError
from pypsrp.messages import PipelineState
from pypsrp.powershell import PowerShell, RunspacePool

from orchestrator.lab.server import LabServer

from .conftest import ClientFactory, connect
from .fakes import FakeBackend

TIMED_OUT = 2150858793


def test_long_pipeline_completes_through_timed_out_receives(
    lab: LabServer, client: ClientFactory
) -> None:
    """A pipeline longer than OperationTimeout completes; each empty long-poll ends in fault TimedOut."""
    with RunspacePool(client(operation_timeout=1, read_timeout=3)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 2.5)
        started = time.monotonic()
        ps.invoke()
        elapsed = time.monotonic() - started
    assert ps.state == PSInvocationState.COMPLETED
    assert 2.3 < elapsed < 5
    assert lab.counters.snapshot().soap_requests("Receive") >= 3 + 1  # pool open + 3 polls


def test_receive_without_output_raises_timed_out_fault(client: ClientFactory) -> None:
    """A raw Receive with nothing to send waits OperationTimeout, then fault 2150858793."""
    with RunspacePool(client(operation_timeout=1, read_timeout=3)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 5)
        ps.begin_invoke()
        started = time.monotonic()
        with pytest.raises(WSManFaultError) as fault:
            pool.shell.receive("stdout", command_id=str(ps.id).upper(), timeout=1)
        assert fault.value.code == TIMED_OUT
        assert 0.9 < time.monotonic() - started < 2.5
        ps.stop()


def test_stop_signals_the_backend_and_ends_stopped(
    client: ClientFactory, backend: FakeBackend
) -> None:
    """ps.stop() sends Ctrl+C: the backend's stop event fires and the pipeline ends Stopped."""
    with RunspacePool(client()) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 30)
        ps.begin_invoke()
        assert backend.started.wait(5)
        ps.stop()
        assert ps.state == PSInvocationState.STOPPED
        # pypsrp reads no more after stop(); read the pipeline's last message as Windows sends it.
        _, _, streams = pool.shell.receive("stdout", command_id=str(ps.id).upper(), timeout=2)
        messages = pool._fragmenter.defragment(streams["stdout"])
        states = [m.data for m in messages if isinstance(m.data, PipelineState)]
        assert [s.state for s in states] == [PSInvocationState.STOPPED]
        assert states[0].error_record.fq_error == "PipelineStopped"
        assert backend.stopped == ["dc01"]
        ps2 = PowerShell(pool)
        ps2.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
        assert len(ps2.invoke()) == 1


def test_pipelines_of_one_pool_run_concurrently(
    client: ClientFactory, backend: FakeBackend
) -> None:
    """A second pipeline on the same pool runs while the first one sleeps."""
    with RunspacePool(client()) as pool:
        slow = PowerShell(pool)
        slow.add_cmdlet("Start-Sleep").add_parameter("Seconds", 30)
        slow.begin_invoke()
        assert backend.started.wait(5)
        fast = PowerShell(pool)
        fast.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
        assert len(fast.invoke()) == 1
        slow.stop()


def test_two_hundred_concurrent_pools(lab: LabServer, backend: FakeBackend) -> None:
    """200 threads, each with its own WSMan and RunspacePool, all open, invoke and close."""
    results: list[str] = []
    errors: list[BaseException] = []

    def one(index: int) -> None:
        host = backend.hosts[index % 2]
        try:
            with (
                connect(lab, host, read_timeout=60, operation_timeout=30) as wsman,
                RunspacePool(wsman) as pool,
            ):
                ps = PowerShell(pool)
                ps.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
                results.append(str(ps.invoke()[0]))
        except BaseException as exc:  # noqa: BLE001 -- collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert results == ["Guest"] * 200
    snapshot = lab.counters.snapshot()
    assert snapshot.soap_requests("Create") == 200
    assert snapshot.open_shells == {}
