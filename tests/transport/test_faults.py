"""Each lab fault, seen through the transport as one of our errors."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from dataclasses import replace

import pytest

from orchestrator.commands import Command
from orchestrator.errors import (
    ConnectError,
    OperationTimeout,
    ServerError,
    TransientError,
    TransportError,
)
from orchestrator.lab.http.faults import FaultSpec
from orchestrator.secrets import Secret
from orchestrator.transport.psrp import PsrpTransport

from .conftest import FAST, READ_TIMEOUT, ClientFactory, LabClient

pytestmark = pytest.mark.e2e

COMMAND = frozenset({"Command"})
HANG = READ_TIMEOUT + 0.5  # an answer held past the client's read timeout


def _warm(client: LabClient) -> None:
    """Open DC1's pool first, so the fault hits a command, not the handshake."""
    assert client.run("DC1", "Get-ADDomain").ok


def _enabled(client: LabClient, name: str) -> bool:
    (user,) = client.run("DC1", "Get-ADUser", Identity=name).outputs
    return bool(user["Enabled"])


@pytest.mark.parametrize(
    ("fault", "expected", "transient"),
    [
        (FaultSpec(drop=True, actions=COMMAND, times=1), ConnectError, True),
        (FaultSpec(http_status=503, actions=COMMAND, times=1), ConnectError, True),
        (FaultSpec(http_status=500, actions=COMMAND, times=1), ServerError, True),
        (FaultSpec(hang=HANG, actions=COMMAND, times=1), OperationTimeout, True),
    ],
    ids=["drop", "503", "500", "hang"],
)
def test_fault_on_a_command_is_translated(
    lab_client: ClientFactory, fault: FaultSpec, expected: type[TransportError], transient: bool
) -> None:
    """The fault raises our error (transient or not), with pypsrp's as cause; the next command works."""
    client = lab_client(connection=FAST)
    _warm(client)
    client.lab.server.faults.set("DC1", fault)
    with pytest.raises(TransportError) as failure:
        client.run("DC1", "Get-ADUser", Identity="labadmin")
    assert type(failure.value) is expected
    assert isinstance(failure.value, TransientError) is transient
    assert failure.value.__cause__ is not None
    assert failure.value.where.host == "DC1"
    assert client.run("DC1", "Get-ADDomain").ok  # a new session, rebuilt transparently


def test_faulted_command_did_not_run_and_is_not_resent(lab_client: ClientFactory) -> None:
    """A dropped Command is raised, not resent by the transport: the change happens only on retry."""
    client = lab_client(connection=FAST)
    password = Secret("Zq7-Tulip-Lantern-42")
    assert client.run("DC1", "New-ADUser", Name="flaky", AccountPassword=password, Enabled=True).ok
    client.lab.server.faults.set("DC1", FaultSpec(drop=True, actions=COMMAND, times=1))
    disable = Command.of("Disable-ADAccount", Identity="flaky", mutating=True)
    with pytest.raises(ConnectError):
        client.transport("DC1").run(disable)
    assert _enabled(client, "flaky") is True
    assert client.transport("DC1").run(disable).ok
    assert _enabled(client, "flaky") is False


def test_latency_only_slows_commands_down(lab_client: ClientFactory) -> None:
    """Latency below the timeouts changes nothing but the time taken."""
    client = lab_client(connection=FAST)
    _warm(client)
    client.lab.server.faults.set("DC1", FaultSpec(latency=0.3))
    started = time.monotonic()
    assert client.run("DC1", "Get-ADDomain").ok
    assert time.monotonic() - started >= 0.6  # Command and Receive, 0.3 s each at least
    assert client.counters().soap_requests("Create", "DC1") == 1


def test_hung_open_is_operation_timeout(lab_client: ClientFactory) -> None:
    """A host that never answers Create is OperationTimeout after read_timeout, not a hang."""
    client = lab_client(connection=FAST)
    client.lab.server.faults.set(
        "DC1", FaultSpec(hang=HANG, actions=frozenset({"Create"}), times=1)
    )
    started = time.monotonic()
    with pytest.raises(OperationTimeout):
        client.connector.authenticate(client.host("DC1"))
    assert time.monotonic() - started < HANG
    assert client.run("DC1", "Get-ADDomain").ok


def test_one_lost_receive_is_recovered(lab_client: ClientFactory) -> None:
    """A Receive answered too late is resent once (safe: the host re-queues), and output is whole."""
    client = lab_client(connection=FAST)
    _warm(client)
    client.lab.server.faults.set(
        "DC1", FaultSpec(hang=HANG, actions=frozenset({"Receive"}), times=1)
    )
    (domain,) = client.run("DC1", "Get-ADDomain").outputs
    assert domain["NetBIOSName"] == "CONTOSO"
    assert client.counters().soap_requests("Receive", "DC1") >= 2 + 2  # open's + lost + resent
    assert client.counters().soap_requests("Command", "DC1") == 2  # the command ran once


def test_hung_receive_gives_up_after_one_resend(lab_client: ClientFactory) -> None:
    """A host that stops answering Receives is OperationTimeout after 2 tries, not pypsrp's 6."""
    client = lab_client(connection=FAST)
    _warm(client)
    receive = frozenset({"Receive"})
    client.lab.server.faults.set("DC1", FaultSpec(hang=3 * READ_TIMEOUT, actions=receive, times=3))
    started = time.monotonic()
    with pytest.raises(OperationTimeout):
        client.run("DC1", "Get-ADDomain")
    assert time.monotonic() - started < 2 * READ_TIMEOUT + 0.5  # 2 read timeouts, 0.1 s backoff
    assert client.counters().soap_requests("Receive", "DC1") == 2 + 2  # open's + this command's


@pytest.mark.parametrize("how", ["fault", "backend"])
def test_host_down_is_connect_error(lab_client: ClientFactory, how: str) -> None:
    """A host that resets every connection is ConnectError, whether the fault or the domain says so."""
    client = lab_client(connection=FAST)
    _warm(client)
    if how == "fault":
        client.lab.server.faults.set("DC1", FaultSpec(down=True))
    else:
        client.lab.backend.set_host_up("DC1", False)
    with pytest.raises(ConnectError):
        client.run("DC1", "Get-ADDomain")
    assert client.run("CAP1", "Get-LocalUser", Name="Administrator").ok


def test_refused_connection_is_connect_error(lab_client: ClientFactory) -> None:
    """Nothing listening on the port is ConnectError, at once."""
    client = lab_client(connection=FAST)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the transport connects
    host = client.host("DC1")
    host = replace(host, connection=replace(host.connection, port=port))
    with pytest.raises(ConnectError, match="cannot reach"):
        PsrpTransport(host, client.login).open()


class _NotWinRM(http.server.BaseHTTPRequestHandler):
    """A web server on the WinRM port: every POST gets 200 and HTML."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_endpoint_that_is_not_winrm_is_transport_error(lab_client: ClientFactory) -> None:
    """Whatever pypsrp raises at a web server (KeyError for NTLM) comes out as TransportError."""
    client = lab_client(connection=FAST)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotWinRM)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        host = client.host("DC1")
        host = replace(host, connection=replace(host.connection, port=server.server_address[1]))
        with pytest.raises(TransportError, match="is this a WinRM endpoint") as failure:
            PsrpTransport(host, client.login).run(Command.of("Get-ADDomain"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert not isinstance(failure.value, TransientError)
    assert failure.value.__cause__ is not None
