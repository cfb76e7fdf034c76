"""An in-process Transport over a LabBackend: the lab's domain without HTTP, for fast tests.

Outputs go through the same CLIXML round trip as on the wire (the lab's encoder, then
pypsrp's deserializer, then our `plain_value`), so a module sees exactly the values it would
see through WinRM. End-to-end tests still go through pypsrp and a real socket.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from psrpcore.types import serialize
from pypsrp.serializer import Serializer

from orchestrator.commands import SWITCH, Command, CommandResult, ErrorInfo
from orchestrator.errors import AuthError, ConnectError
from orchestrator.inventory.model import Host
from orchestrator.lab.contract import (
    AuthOutcome,
    CommandCall,
    ErrorRecord,
    LabBackend,
    SecureString,
    Statement,
)
from orchestrator.lab.psrp.encode import ps_value
from orchestrator.secrets import Secret
from orchestrator.transport.psrp.values import plain_value


class LabTransport:
    """Runs commands on one lab host in-process, as `user`."""

    def __init__(self, backend: LabBackend, host: str, user: str) -> None:
        self.backend = backend
        self.host = host
        self.user = user
        self.sent: list[Command] = []

    def run(
        self,
        command: Command,
        *,
        timeout: timedelta | None = None,
    ) -> CommandResult:
        """Invoke the command on the backend and convert what comes back."""
        if not self.backend.host_is_up(self.host):
            raise ConnectError(f"{self.host}: connection refused (host down)")
        self.sent.append(command)
        params = tuple((k, _param(v)) for k, v in command.parameters)
        call = CommandCall(command.cmdlet, params, is_script=command.is_script)
        result = self.backend.invoke(self.host, self.user, [Statement((call,))], threading.Event())
        errors = [_error(e, terminating=False) for e in result.errors]
        if result.terminating is not None:
            errors.append(_error(result.terminating, terminating=True))
        outputs = tuple(_round_trip(o) for o in result.outputs)
        return CommandResult(command, outputs, tuple(errors), tuple(result.warnings))

    def close(self) -> None:
        """Nothing to release."""


def _param(value: Any) -> Any:
    if value is SWITCH:
        return None
    if isinstance(value, Secret):
        return SecureString(value.reveal())
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    return value


def _round_trip(value: Any) -> Any:
    # outputs never hold SecureStrings, so no cipher is needed
    xml = ET.tostring(serialize(ps_value(value), None), encoding="unicode")  # type: ignore[arg-type]
    return plain_value(Serializer().deserialize(xml))


def _error(record: ErrorRecord, *, terminating: bool) -> ErrorInfo:
    return ErrorInfo(
        message=record.message,
        fq_error_id=record.fully_qualified_error_id,
        category=record.category,
        target=record.target_name,
        exception_type=record.exception_type,
        terminating=terminating,
    )


class LabConnector:
    """A Connector over a LabBackend: one LabTransport per host, logons checked by the domain.

    `credentials` maps an inventory credential name to (DOMAIN\\user, password), as the
    runner's PsrpConnector takes them; each first use of a host is a logon the domain's
    lockout policy counts, as over WinRM.
    """

    def __init__(self, backend: LabBackend, credentials: Mapping[str, tuple[str, Secret]]) -> None:
        self.backend = backend
        self.credentials = dict(credentials)
        self.logons: list[tuple[str, str]] = []
        self._transports: dict[str, LabTransport] = {}
        self._lock = threading.Lock()

    def transport(self, host: Host) -> LabTransport:
        """The host's transport; the first use logs on."""
        with self._lock:
            existing = self._transports.get(host.name)
        if existing is not None:
            return existing
        self.authenticate(host)
        with self._lock:
            return self._transports[host.name]

    def reachable(self, host: Host) -> None:
        """ConnectError when the host is down; no logon."""
        if not self.backend.host_is_up(host.name):
            raise ConnectError(f"{host.name}: connection refused (host down)")

    def authenticate(self, host: Host) -> None:
        """Log on to the host now; AuthError on a bad password or a locked account."""
        user, password = self.credentials[host.connection.credential or ""]
        if not self.backend.host_is_up(host.name):
            raise ConnectError(f"{host.name}: connection refused (host down)")
        self.logons.append((host.name, user))
        outcome = self.backend.authenticate(host.name, user, password.reveal())
        if outcome is not AuthOutcome.OK:
            raise AuthError(f"{host.name}: the credentials of {user} were rejected (HTTP 401)")
        with self._lock:
            self._transports.setdefault(host.name, LabTransport(self.backend, host.name, user))

    def close_all(self) -> None:
        """Forget every transport."""
        with self._lock:
            self._transports.clear()
