"""A connector for the worker processes' tests: each command says what the fake does.

Module-level, so the spawned workers can import it: the factory travels by reference.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import timedelta

import structlog

from orchestrator.commands import Command, CommandResult
from orchestrator.errors import AuthError, ConnectError, TransportError, Where
from orchestrator.inventory.model import Host, Inventory
from orchestrator.secrets import Secret

_log = structlog.get_logger(__name__)


class FakeTransport:
    """Answers a command by its cmdlet (see `run`)."""

    def __init__(self, host: Host, password: Secret | None) -> None:
        self.host = host
        self.password = password

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Echo: the parameters and timeout back; Whoami: the process id and password length;
        Sleep: wait `Seconds`; Fail: raise `Kind` (auth, connect, transport) with attributes;
        Die: the worker exits at once; Log: one info and one debug event; Lambda: an output
        that cannot be pickled."""
        action = command.cmdlet
        if action == "Echo":
            return CommandResult(command, outputs=(command.parameters, timeout))
        if action == "Whoami":
            size = len(self.password.reveal()) if self.password else 0
            return CommandResult(command, outputs=(os.getpid(), size, self.host.name))
        if action == "Sleep":
            time.sleep(float(command.param("Seconds")))
            return CommandResult(command, outputs=(self.host.name,))
        if action == "Fail":
            raise _failure(str(command.param("Kind")), self.host.name)
        if action == "Die":
            os._exit(3)
        if action == "Lambda":
            return CommandResult(command, outputs=(lambda: None,))
        if action == "Log":
            _log.info("fake.info", host=self.host.name, secret=self.password)
            _log.debug("fake.debug", host=self.host.name)
            return CommandResult(command)
        raise ValueError(f"unknown fake action {action}")

    def close(self) -> None:
        """Nothing to close."""


def _failure(kind: str, host: str) -> TransportError:
    where = Where(host=host, step="s", attempt=2)
    if kind == "auth":
        return AuthError(f"{host}: rejected", where=where, may_have_run=False)
    if kind == "connect":
        return ConnectError(f"{host}: refused", where=where, may_have_run=False, connected=False)
    return TransportError(f"{host}: broken", where=where)


class FakeConnector:
    """One FakeTransport per host; `reachable` fails for hosts named down*."""

    def __init__(self, inventory: Inventory, credentials: Mapping[str, tuple[str, Secret]]):
        self.inventory = inventory
        self.credentials = dict(credentials)
        self.transports: dict[str, FakeTransport] = {}

    def transport(self, host: Host) -> FakeTransport:
        """The host's transport, created on first use."""
        if host.name not in self.transports:
            login = self.credentials.get(host.connection.credential or "")
            self.transports[host.name] = FakeTransport(host, login[1] if login else None)
        return self.transports[host.name]

    def reachable(self, host: Host) -> None:
        """ConnectError for a host named down*."""
        if host.name.startswith("down"):
            raise ConnectError(f"{host.name}: refused", where=Where(host=host.name),
                               may_have_run=False, connected=False)  # fmt: skip

    def authenticate(self, host: Host) -> None:
        """Opens nothing."""
        self.transport(host)

    def close_all(self) -> None:
        """Forget every transport."""
        _log.debug("fake.closed", hosts=len(self.transports))
        self.transports.clear()


def fake_connector(
    inventory: Inventory, credentials: Mapping[str, tuple[str, Secret]]
) -> FakeConnector:
    """The factory the workers are given."""
    return FakeConnector(inventory, credentials)
