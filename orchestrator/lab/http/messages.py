"""The HTTP request and response values passed between the handler and the exchange."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Literal

from orchestrator.lab.http.auth import NegotiateSession

SOAP_TYPE = "application/soap+xml;charset=UTF-8"


def sealed_type(kind: str, protocol: str) -> str:
    """The Content-Type of a sealed body: multipart/encrypted, the context's protocol
    (application/HTTP-SPNEGO-session-encrypted, or ...-Kerberos-... after the Kerberos scheme)."""
    return f'{kind};protocol="{protocol}";boundary="Encrypted Boundary"'


@dataclass
class ConnectionState:
    """What one TCP connection remembers between its requests."""

    fixed_host: str | None  # the host of a port-per-host listener
    base_url: str  # scheme://address:port, for ResourceCreated/Address
    host: str | None = None  # the host the last request addressed
    negotiate: NegotiateSession | None = None


@dataclass(frozen=True)
class HttpRequest:
    """One request as read off the connection."""

    method: str
    path: str
    headers: Message
    body: bytes


@dataclass
class HttpResponse:
    """What to do with one request: answer it, reset the connection, or drop it silently."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    action: Literal["respond", "reset", "drop"] = "respond"
    delay: float = 0.0  # seconds to wait before acting (latency and hang faults)
    close: bool = False
    requeue: Callable[[], None] | None = field(default=None, repr=False)
