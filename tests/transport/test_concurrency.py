"""Many hosts at once: one transport per host, each used by one thread at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from orchestrator.commands import Command, CommandResult
from orchestrator.transport.psrp.pipeline import UNSIGNALLED_PER_POOL

from .conftest import ClientFactory

pytestmark = pytest.mark.e2e


def test_fifty_hosts_from_a_thread_pool(lab_client: ClientFactory) -> None:
    """50 hosts' transports run commands in parallel over NTLM sealing: all succeed, one pool each."""
    client = lab_client(clients=47)
    hosts = client.inventory.hosts
    assert len(hosts) == 50

    def work(name: str) -> list[CommandResult]:
        transport = client.transport(name)
        return [transport.run(Command.of("Get-LocalUser")) for _ in range(3)]

    names = [h.name for h in hosts]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [r for rs in pool.map(work, names) for r in rs]
    assert len(results) == 150
    assert all(r.ok and r.outputs for r in results)
    counters = client.counters()
    assert counters.soap_requests("Create") == 50
    assert counters.soap_requests("Command") == 150
    assert sum(counters.open_shells.values()) == 50
    client.connector.close_all()
    assert client.counters().open_shells == {}


def test_one_transport_handed_between_threads(lab_client: ClientFactory) -> None:
    """The runner may hand a transport from thread to thread; the lock keeps calls one at a time."""
    client = lab_client()
    transport = client.transport("DC1")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: transport.run(Command.of("Get-ADDomain")), range(24)))
    assert all(r.ok for r in results)
    counters = client.counters()
    assert counters.tcp_connections == 1  # one session throughout
    # a pool per UNSIGNALLED_PER_POOL commands (pipeline.release), never one per thread
    assert counters.soap_requests("Create", "DC1") == -(-24 // UNSIGNALLED_PER_POOL)


def test_connector_gives_one_transport_per_host(lab_client: ClientFactory) -> None:
    """Threads asking for the same host at once all get the same transport."""
    client = lab_client()
    host = client.host("CAP1")
    with ThreadPoolExecutor(max_workers=8) as pool:
        transports = set(pool.map(lambda _: id(client.connector.transport(host)), range(32)))
    assert len(transports) == 1
