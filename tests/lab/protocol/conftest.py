"""Fixtures: a FakeBackend, a lab serving it on loopback, and pypsrp clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypsrp.wsman import WSMan

from orchestrator.lab.server import LabServer

from .fakes import FakeBackend

ALICE = ("LAB\\alice", "Al1ce-pw!")

ClientFactory = Callable[..., WSMan]


@pytest.fixture
def backend() -> FakeBackend:
    """A fresh in-memory domain: dc01 and srv01, alice and bob, lockout after 3 failures."""
    return FakeBackend()


@pytest.fixture
def lab(backend: FakeBackend) -> Iterator[LabServer]:
    """The lab over HTTP, every host on one port by path."""
    with LabServer(backend) as server:
        yield server


@pytest.fixture
def tls_lab(backend: FakeBackend) -> Iterator[LabServer]:
    """The lab over HTTPS with a freshly generated CA."""
    with LabServer(backend, tls=True) as server:
        yield server


def connect(
    server: LabServer,
    host: str = "dc01",
    *,
    auth: str = "basic",
    credentials: tuple[str, str] = ALICE,
    **options: Any,
) -> WSMan:
    """A pypsrp WSMan for one lab host; Basic over HTTP without encryption, as WinRM allows it."""
    endpoint = server.endpoints()[host]
    https = endpoint.scheme == "https"
    settings: dict[str, Any] = {
        "port": endpoint.port,
        "path": endpoint.wsman_path,
        "ssl": https,
        "auth": auth,
        "username": credentials[0],
        "password": credentials[1],
        "no_proxy": True,
        "operation_timeout": 5,
        "read_timeout": 10,
        "connection_timeout": 5,
        "reconnection_retries": 0,
    }
    if https:
        settings["cert_validation"] = str(server.ca_path)
    elif auth == "basic":
        settings["encryption"] = "never"
    settings.update(options)
    return WSMan(endpoint.address, **settings)


@pytest.fixture
def client(lab: LabServer) -> Iterator[ClientFactory]:
    """Builds WSMan clients for `lab` and closes them after the test."""
    made: list[WSMan] = []

    def factory(host: str = "dc01", **options: Any) -> WSMan:
        wsman = connect(lab, host, **options)
        made.append(wsman)
        return wsman

    yield factory
    for wsman in made:
        wsman.close()
