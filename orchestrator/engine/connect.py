"""What the runner needs from the transport layer: one transport per host, reused."""

from __future__ import annotations

from typing import Protocol

from orchestrator.inventory.model import Host
from orchestrator.transport.command import Transport


class Connector(Protocol):
    """Gives the transport of each host (one per host, reused by every step)."""

    def transport(self, host: Host) -> Transport:
        """The host's transport, created on first use."""
        ...

    def authenticate(self, host: Host) -> None:
        """Open the host's connection now (raises AuthError, ConnectError ...)."""
        ...

    def close_all(self) -> None:
        """Close every connection."""
        ...
