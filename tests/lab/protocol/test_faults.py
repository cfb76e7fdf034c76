"""Faults on demand, each observed by pypsrp the way the protocol notes describe."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from pypsrp.exceptions import WinRMTransportError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from orchestrator.lab.http.faults import FaultSpec
from orchestrator.lab.server import LabServer

from . import raw
from .conftest import ClientFactory, connect
from .fakes import FakeBackend

TIMED_OUT = 2150858793


def _invoke(pool: RunspacePool) -> int:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
    return len(ps.invoke())


def test_latency_delays_but_does_not_fail(lab: LabServer, client: ClientFactory) -> None:
    """latency=0.3 on Command makes each invoke at least 0.3 s slower, and it still succeeds."""
    with RunspacePool(client()) as pool:
        lab.faults.set("dc01", FaultSpec(latency=0.3, actions=frozenset({"Command"})))
        started = time.monotonic()
        assert _invoke(pool) == 1
        assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(("status", "auth"), [(500, "basic"), (503, "basic"), (503, "ntlm")])
def test_http_error_status_is_winrm_transport_error(
    lab: LabServer, client: ClientFactory, status: int, auth: str
) -> None:
    """An injected HTTP 500/503 is WinRMTransportError with that code; a one-shot fault then clears."""
    with RunspacePool(client(auth=auth)) as pool:
        lab.faults.set("dc01", FaultSpec(http_status=status, times=1))
        with pytest.raises(WinRMTransportError) as failure:
            _invoke(pool)
        assert failure.value.code == status
        assert _invoke(pool) == 1


def test_persistent_fault_lasts_until_cleared(lab: LabServer, client: ClientFactory) -> None:
    """A fault without `times` applies to every matching request until cleared."""
    with RunspacePool(client()) as pool:
        lab.faults.set("dc01", FaultSpec(http_status=503, actions=frozenset({"Command"})))
        for _ in range(2):
            with pytest.raises(WinRMTransportError):
                _invoke(pool)
        lab.faults.clear("dc01")
        assert _invoke(pool) == 1


def test_dropped_connection_is_connection_error(lab: LabServer, client: ClientFactory) -> None:
    """A dropped connection (closed without an answer) is requests' ConnectionError."""
    with RunspacePool(client()) as pool:
        lab.faults.set("dc01", FaultSpec(drop=True, times=1))
        with pytest.raises(requests.exceptions.ConnectionError):
            _invoke(pool)


def test_operation_timeout_fault_on_open(lab: LabServer, client: ClientFactory) -> None:
    """A w:TimedOut fault on Create is WSManFaultError 2150858793: open() does not swallow it."""
    lab.faults.set(
        "dc01", FaultSpec(operation_timeout=True, actions=frozenset({"Create"}), times=1)
    )
    with pytest.raises(WSManFaultError) as failure:
        RunspacePool(client()).open()
    assert failure.value.code == TIMED_OUT


def test_operation_timeout_fault_on_receive_is_retried(
    lab: LabServer, client: ClientFactory
) -> None:
    """Injected TimedOut faults on Receive are swallowed by poll_invoke; the invoke completes."""
    with RunspacePool(client()) as pool:
        lab.faults.set(
            "dc01", FaultSpec(operation_timeout=True, actions=frozenset({"Receive"}), times=2)
        )
        assert _invoke(pool) == 1
    assert lab.counters.snapshot().soap_requests("Receive") >= 4


def test_hang_is_read_timeout(lab: LabServer, client: ClientFactory) -> None:
    """A host that holds a request past the client's read timeout is requests' ReadTimeout."""
    lab.faults.set("dc01", FaultSpec(hang=3, actions=frozenset({"Create"}), times=1))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        RunspacePool(client(read_timeout=0.5)).open()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("how", ["fault", "backend"])
def test_host_down_resets_connections(
    lab: LabServer, client: ClientFactory, backend: FakeBackend, how: str
) -> None:
    """A down host (fault or host_is_up False) resets the connection: ConnectionError."""
    if how == "fault":
        lab.faults.set("dc01", FaultSpec(down=True))
    else:
        backend.down.add("dc01")
    with pytest.raises(requests.exceptions.ConnectionError):
        RunspacePool(client()).open()
    assert _open_and_invoke(client("srv01")) == 1  # the other hosts are fine


def _open_and_invoke(wsman: WSMan) -> int:
    with RunspacePool(wsman) as pool:
        return _invoke(pool)


def test_idle_close_breaks_a_sealed_connection(lab: LabServer, client: ClientFactory) -> None:
    """pypsrp #21: after the host closes an idle NTLM-sealed connection, requests fail with 400."""
    lab.faults.set("dc01", FaultSpec(idle_close=0.2))
    pool = RunspacePool(client(auth="ntlm"))
    pool.open()
    assert _invoke(pool) == 1
    time.sleep(0.5)
    for _ in range(2):
        with pytest.raises(WinRMTransportError) as failure:
            _invoke(pool)
        assert failure.value.code == 400


def test_idle_close_is_transparent_with_basic(lab: LabServer, client: ClientFactory) -> None:
    """With Basic the client reconnects after an idle close and carries on."""
    lab.faults.set("dc01", FaultSpec(idle_close=0.2))
    with RunspacePool(client()) as pool:
        assert _invoke(pool) == 1
        time.sleep(0.5)
        assert _invoke(pool) == 1
    assert lab.counters.snapshot().tcp_connections == 2


@pytest.fixture
def per_host_lab(backend: FakeBackend) -> Iterator[LabServer]:
    """The lab with one port per host."""
    with LabServer(backend, port_per_host=True) as server:
        yield server


def test_port_per_host_endpoints_and_down_host(
    per_host_lab: LabServer, backend: FakeBackend
) -> None:
    """With a port per host each host answers at /wsman on its own port; a down one resets."""
    endpoints = per_host_lab.endpoints()
    assert {e.path for e in endpoints.values()} == {"/wsman"}
    assert len({e.port for e in endpoints.values()}) == 2
    with connect(per_host_lab, "srv01") as wsman:
        assert _open_and_invoke(wsman) == 1
    backend.down.add("dc01")
    with connect(per_host_lab, "dc01") as wsman, pytest.raises(requests.exceptions.ConnectionError):
        RunspacePool(wsman).open()


def test_unknown_path_is_404(lab: LabServer) -> None:
    """A path that names no host is 404, as HTTP.sys answers an unregistered URL."""
    assert raw.post(lab, "/wsman/nohost", b"x")[0] == 404
    assert raw.post(lab, "/other", b"x")[0] == 404


@pytest.mark.timeout(30)  # a regression here loops in poll_invoke instead of failing
def test_receive_lost_to_a_read_timeout_is_delivered_on_retry(
    lab: LabServer, client: ClientFactory
) -> None:
    """A Receive answered after the client's read timeout loses nothing: pypsrp's retry gets it."""
    with RunspacePool(client(read_timeout=1, reconnection_backoff=0.05)) as pool:
        lab.faults.set("dc01", FaultSpec(hang=1.5, actions=frozenset({"Receive"}), times=1))
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Many").add_parameter("Count", 3)
        assert len(ps.invoke()) == 3
    assert lab.counters.snapshot().tcp_connections >= 2
