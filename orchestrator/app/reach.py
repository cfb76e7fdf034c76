"""Each command's one fan-out: the connector it reaches hosts with, behind the one core.

A command opens exactly one Fanout and hands it to every phase (run --plan plans then runs,
resume rolls back then runs, a run first rolls back what a crashed run left open): so the
credential breaker, the preflight and the record of the hosts that are out span the whole
command, and each credential costs at most one failed logon per command.

The real connector runs in worker processes (transport/workers.py), one per core by default
(`--workers`), so the WinRM client stack is not held to one core by the GIL; the fan-out, and
with it the breaker, the journal and the events, stays in the command's own process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from orchestrator.commands import Connector
from orchestrator.inventory.model import Inventory
from orchestrator.secrets import Secret

if TYPE_CHECKING:  # the workers import this module for psrp_connector: kept light
    from orchestrator.engine.fanout import Fanout

Credentials = Mapping[str, tuple[str, Secret]]
"""Credential name -> (user name, password), as the command resolved them."""

ConnectorFactory = Callable[[Inventory, Credentials], Connector]
"""How a command gets its connector (tests give the lab's in-process one)."""

DEFAULT_FORKS = 20


def psrp_connector(inventory: Inventory, credentials: Credentials) -> Connector:
    """The real connector: pypsrp to every host, with the resolved credentials."""
    from orchestrator.transport.psrp import PsrpConnector  # pypsrp loads only when needed

    return PsrpConnector(inventory, credentials)


# A worker costs ~0.3 s to start; it saves ~55 ms of client work per host and five steps
# (issue 13's profile), so below about 20 hosts one process is faster.
MIN_HOSTS_FOR_WORKERS = 20


def default_workers() -> int:
    """Worker processes when `--workers` is not given: one per core."""
    return os.cpu_count() or 1


def open_fanout(
    inventory: Inventory,
    credentials: Credentials,
    *,
    forks: int | None = None,
    workers: int | None = None,
    factory: ConnectorFactory | None = None,
) -> Fanout:
    """The command's fan-out over a new connector (close it, or use it as a context).

    workers: processes for the real connector (default: one per core for an inventory of at
    least MIN_HOSTS_FOR_WORKERS hosts, else none; 0 or 1: in this process). A given `factory`
    (the tests' in-memory connectors) always runs in-process.
    """
    from orchestrator.engine.fanout import Fanout

    forks = forks or DEFAULT_FORKS
    connector = _connector(inventory, credentials, forks, workers, factory)
    usernames = {name: user for name, (user, _) in credentials.items()}
    return Fanout(connector, forks=forks, usernames=usernames)


def _connector(
    inventory: Inventory,
    credentials: Credentials,
    forks: int,
    workers: int | None,
    factory: ConnectorFactory | None,
) -> Connector:
    if factory is not None:
        return factory(inventory, credentials)
    hosts = len(inventory.hosts)
    if workers is None:  # by default, only where they pay for their start-up
        workers = default_workers() if hosts >= MIN_HOSTS_FOR_WORKERS else 1
    # more processes than hosts worked on at once, or than hosts, would only cost start-ups
    count = min(workers, forks, hosts)
    if count <= 1:
        return psrp_connector(inventory, credentials)
    from orchestrator.transport.workers import WorkerConnector

    return WorkerConnector(
        psrp_connector,
        inventory,
        credentials,
        workers=count,
        threads=forks,
        preload=("orchestrator.transport.psrp",),
    )
