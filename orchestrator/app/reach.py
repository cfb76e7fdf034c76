"""Each command's one fan-out: the connector it reaches hosts with, behind the one core.

A command opens exactly one Fanout and hands it to every phase (run --plan plans then runs,
resume rolls back then runs, a run first rolls back what a crashed run left open): so the
credential breaker, the preflight and the record of the hosts that are out span the whole
command, and each credential costs at most one failed logon per command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from orchestrator.commands import Connector
from orchestrator.engine.fanout import Fanout
from orchestrator.inventory.model import Inventory
from orchestrator.secrets import Secret

Credentials = Mapping[str, tuple[str, Secret]]
"""Credential name -> (user name, password), as the command resolved them."""

ConnectorFactory = Callable[[Inventory, Credentials], Connector]
"""How a command gets its connector (tests give the lab's in-process one)."""

DEFAULT_FORKS = 20


def psrp_connector(inventory: Inventory, credentials: Credentials) -> Connector:
    """The real connector: pypsrp to every host, with the resolved credentials."""
    from orchestrator.transport.psrp import PsrpConnector  # pypsrp loads only when needed

    return PsrpConnector(inventory, credentials)


def open_fanout(
    inventory: Inventory,
    credentials: Credentials,
    *,
    forks: int | None = None,
    factory: ConnectorFactory | None = None,
) -> Fanout:
    """The command's fan-out over a new connector (close it, or use it as a context)."""
    connector = (factory or psrp_connector)(inventory, credentials)
    usernames = {name: user for name, (user, _) in credentials.items()}
    return Fanout(connector, forks=forks or DEFAULT_FORKS, usernames=usernames)
