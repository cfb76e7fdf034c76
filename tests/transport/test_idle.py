"""Idle and lost pools are rebuilt transparently, and only when the command surely did not run."""

from __future__ import annotations

import time

import pytest
from pypsrp.wsman import SelectorSet, WSMan

from orchestrator.commands import Command
from orchestrator.errors import ConnectError
from orchestrator.inventory.model import Auth, Encryption
from orchestrator.lab.http.faults import FaultSpec
from orchestrator.secrets import Secret

from .conftest import FAST, ClientFactory, LabClient

pytestmark = pytest.mark.e2e

POWERSHELL = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"


def test_idle_closed_sealed_connection_is_reopened(lab_client: ClientFactory) -> None:
    """pypsrp #21: after an idle close every sealed request is 400; the next command still works."""
    client = lab_client(connection={"auth": Auth.NTLM, "encryption": Encryption.AUTO})
    client.lab.server.faults.set("DC1", FaultSpec(idle_close=0.2))
    assert client.run("DC1", "Get-ADDomain").ok
    time.sleep(0.5)
    result = client.transport("DC1").run(
        Command.of("New-ADUser", Name="afteridle", AccountPassword=Secret("Zq7-Tulip-Lantern-42"))
    )
    assert result.ok, result.errors
    time.sleep(0.5)  # the 400 hits the key exchange above, the Command here
    (user,) = client.run("DC1", "Get-ADUser", Identity="afteridle").outputs
    assert user["SamAccountName"] == "afteridle"
    counters = client.counters()
    assert counters.soap_requests("Create", "DC1") == 3  # reopened twice
    assert counters.soap_requests("Command", "DC1") == 3  # the 400s never reached WS-Man
    assert counters.open_shells == {"DC1": 1}  # the stale pools were deleted, not leaked


def test_idle_close_with_basic_over_tls_needs_no_reopen(lab_client: ClientFactory) -> None:
    """Without sealing an idle close is only a new TCP connection: the same pool carries on."""
    client = lab_client(tls=True, connection={"auth": Auth.BASIC})
    client.lab.server.faults.set("DC1", FaultSpec(idle_close=0.2))
    assert client.run("DC1", "Get-ADDomain").ok
    time.sleep(0.5)
    assert client.run("DC1", "Get-ADDomain").ok
    assert client.counters().soap_requests("Create", "DC1") == 1


def _delete_shell(client: LabClient, shell_id: str) -> None:
    """What Windows does to a pool left idle past its IdleTimeout: the shell disappears."""
    endpoint = client.lab.endpoints()["DC1"]
    user, password = client.lab.operator()
    with WSMan(
        endpoint.address, port=endpoint.port, path=endpoint.wsman_path, ssl=False,
        auth="ntlm", username=user, password=password, no_proxy=True,
    ) as wsman:  # fmt: skip
        selectors = SelectorSet()
        selectors.add_option("ShellId", shell_id)
        wsman.delete(POWERSHELL, selector_set=selectors)


def test_pool_gone_on_the_host_is_reopened(lab_client: ClientFactory) -> None:
    """WSManFault 2150858843 (shell not found) on a command: a new pool, the command sent once."""
    client = lab_client()
    assert client.run("DC1", "Get-ADDomain").ok
    shell_id = client.transport("DC1").shell_id
    assert shell_id is not None
    _delete_shell(client, shell_id)
    assert client.counters().open_shells == {}
    assert client.run("DC1", "Get-ADUser", Identity="labadmin").ok
    counters = client.counters()
    assert counters.soap_requests("Create", "DC1") == 2
    assert counters.soap_requests("Command", "DC1") == 3  # refused unprocessed, then sent again
    assert counters.open_shells == {"DC1": 1}
    assert client.transport("DC1").shell_id not in (None, shell_id)


def test_failed_session_is_rebuilt_and_its_pool_deleted(lab_client: ClientFactory) -> None:
    """After a dropped connection the next command opens a new pool and deletes the old one."""
    client = lab_client(connection=FAST)
    assert client.run("DC1", "Get-ADDomain").ok
    client.lab.server.faults.set(
        "DC1", FaultSpec(drop=True, actions=frozenset({"Command"}), times=1)
    )
    with pytest.raises(ConnectError):
        client.run("DC1", "Get-ADDomain")
    assert client.run("DC1", "Get-ADDomain").ok
    counters = client.counters()
    assert counters.soap_requests("Create", "DC1") == 2
    assert counters.soap_requests("Delete", "DC1") == 1
    assert counters.open_shells == {"DC1": 1}


def test_close_after_idle_still_deletes_the_pool(lab_client: ClientFactory) -> None:
    """Closing a transport whose sealed connection went stale deletes its pool over a new one."""
    client = lab_client()
    client.lab.server.faults.set("DC1", FaultSpec(idle_close=0.2))
    assert client.run("DC1", "Get-ADDomain").ok
    time.sleep(0.5)
    client.connector.close_all()
    assert client.counters().open_shells == {}
