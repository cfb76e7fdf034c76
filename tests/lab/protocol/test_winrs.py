"""WinRS cmd shells through pywinrm, a second, independent client, and through pypsrp's Client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import winrm
from pypsrp.client import Client
from winrm.protocol import Protocol

from orchestrator.lab.server import LabServer

from .conftest import ALICE
from .fakes import FakeBackend


@pytest.fixture
def per_host_lab(backend: FakeBackend) -> Iterator[LabServer]:
    """One port per host, so pywinrm's Session (which only knows the /wsman path) can reach it."""
    with LabServer(backend, port_per_host=True) as server:
        yield server


@pytest.mark.parametrize("transport", ["basic", "ntlm"])
def test_pywinrm_session_runs_cmd(per_host_lab: LabServer, transport: str) -> None:
    """pywinrm run_cmd completes an authenticated exchange: stdout, stderr and exit codes."""
    url = per_host_lab.endpoints()["srv01"].url
    # Plain HTTP: no certificate to validate (and no CA-bundle environment lookup to warn about).
    session = winrm.Session(url, auth=ALICE, transport=transport, server_cert_validation="ignore")
    hostname = session.run_cmd("hostname")
    assert (hostname.status_code, hostname.std_out, hostname.std_err) == (0, b"SRV01\r\n", b"")
    assert session.run_cmd("whoami").std_out == b"lab\\alice\r\n"
    assert session.run_cmd("echo", ["hello", "world"]).std_out == b"hello world\r\n"
    missing = session.run_cmd("nosuch")
    assert missing.status_code == 1
    assert missing.std_err.startswith(
        b"'nosuch' is not recognized as an internal or external command"
    )
    assert session.run_cmd("cmd", ["/c", "exit", "3"]).status_code == 3
    snapshot = per_host_lab.counters.snapshot()
    assert snapshot.soap_requests("Create") == snapshot.soap_requests("Delete") == 5
    assert snapshot.open_shells == {}


@pytest.mark.parametrize("transport", ["basic", "ntlm"])
def test_pywinrm_rejected_credentials(
    per_host_lab: LabServer, backend: FakeBackend, transport: str
) -> None:
    """pywinrm sees a wrong password as InvalidCredentialsError, counted once by the domain."""
    url = per_host_lab.endpoints()["srv01"].url
    session = winrm.Session(
        url, auth=("LAB\\alice", "no"), transport=transport, server_cert_validation="ignore"
    )
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        session.run_cmd("hostname")
    assert backend.users["lab\\alice"].bad_count == 1


def test_pywinrm_protocol_on_a_path_routed_host(lab: LabServer) -> None:
    """pywinrm's Protocol reaches a host by its /wsman/<host> path, over sealed NTLM."""
    protocol = Protocol(
        lab.endpoints()["dc01"].url,
        transport="ntlm",
        username=ALICE[0],
        password=ALICE[1],
        server_cert_validation="ignore",
    )
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "hostname")
    assert protocol.get_command_output(shell, command) == (b"DC01\r\n", b"", 0)
    protocol.cleanup_command(shell, command)
    protocol.close_shell(shell)


def test_pypsrp_client_execute_cmd(lab: LabServer) -> None:
    """pypsrp's Client.execute_cmd runs through `cmd.exe /c` on the WinRS shell."""
    endpoint = lab.endpoints()["dc01"]
    client = Client(
        endpoint.address,
        port=endpoint.port,
        path=endpoint.wsman_path,
        ssl=False,
        auth="basic",
        encryption="never",
        username=ALICE[0],
        password=ALICE[1],
        no_proxy=True,
    )
    assert client.execute_cmd("whoami") == ("lab\\alice\r\n", "", 0)
