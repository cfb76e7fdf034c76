"""The transport against the lab: an inventory written by the lab, loaded by our loader, and a
PsrpConnector over it, with the password resolved as the runner resolves it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.commands import Command, CommandResult
from orchestrator.inventory.loader import load_inventory
from orchestrator.inventory.model import Host, Inventory
from orchestrator.lab.harness import RunningLab
from orchestrator.lab.http.counters import CounterSnapshot
from orchestrator.secrets import SecretResolver
from orchestrator.transport.psrp import Login, PsrpConnector, PsrpTransport

from ..conftest import LabFactory

# short timeouts keep fault tests fast; read must exceed operation (pypsrp's WSMan docstring)
READ_TIMEOUT = 1.0
FAST = {
    "connection_timeout": timedelta(seconds=1),
    "operation_timeout": timedelta(seconds=0.5),
    "read_timeout": timedelta(seconds=READ_TIMEOUT),
}


@dataclass
class LabClient:
    """A lab, the inventory it wrote, and the connector the runner would build from both."""

    lab: RunningLab
    inventory: Inventory
    login: Login
    connector: PsrpConnector

    def host(self, name: str) -> Host:
        """The inventory's host called `name`."""
        host = self.inventory.host(name)
        assert host is not None, name
        return host

    def transport(self, name: str) -> PsrpTransport:
        """The connector's transport for one host."""
        return self.connector.transport(self.host(name))

    def run(self, host: str, cmdlet: str, **params: Any) -> CommandResult:
        """Run one cmdlet on a host through the connector."""
        return self.transport(host).run(Command.of(cmdlet, **params))

    def counters(self) -> CounterSnapshot:
        """The lab's request counters now."""
        return self.lab.server.counters.snapshot()


ClientFactory = Callable[..., LabClient]


def with_connection(inventory: Inventory, **settings: Any) -> Inventory:
    """The inventory with these Connection fields changed on every host."""
    hosts = tuple(replace(h, connection=replace(h.connection, **settings)) for h in inventory.hosts)
    return replace(inventory, hosts=hosts)


@pytest.fixture
def lab_client(lab_factory: LabFactory, tmp_path: Path) -> Iterator[ClientFactory]:
    """Builds LabClients (lab options and Connection overrides as keywords); closes them all."""
    made: list[LabClient] = []

    def build(*, connection: dict[str, Any] | None = None, **lab_options: Any) -> LabClient:
        options = {"scenario": "tb1-lockout", "clients": 3, "manual_clock": True, **lab_options}
        lab = lab_factory(**options)
        path = lab.write_inventory(tmp_path / f"inventory{len(made)}" / "inventory.yml")
        inventory = with_connection(load_inventory(path), **(connection or {}))
        secrets = SecretResolver(interactive=False).resolve(
            inventory.secret_requests(inventory.hosts)
        )
        logins = {
            c.name: (c.username, secrets[c.secret_name]) for c in inventory.credentials.values()
        }
        (login,) = logins.values()
        client = LabClient(lab, inventory, login, PsrpConnector(inventory, logins))
        made.append(client)
        return client

    yield build
    for client in made:
        client.connector.close_all()
