"""Listening sockets and the one thread that accepts on all of them.

A `LabHTTPServer` is a ThreadingHTTPServer (a thread per connection) that never runs its own
serve_forever loop: one `Acceptor` thread polls every listener, so port-per-host mode with a
thousand hosts costs a thousand sockets, not a thousand threads.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import sys
import threading
from collections.abc import Sequence
from http.server import ThreadingHTTPServer
from typing import Any

import structlog

from orchestrator.lab.http.counters import Counters
from orchestrator.lab.http.exchange import Exchange
from orchestrator.lab.http.faults import FaultTable
from orchestrator.lab.http.handler import LabRequestHandler, reset_socket
from orchestrator.lab.wsman.logsafe import describe

_log = structlog.get_logger(__name__)


class LabHTTPServer(ThreadingHTTPServer):
    """One listener: every host by path, or one host (`fixed_host`) by port."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 512

    def __init__(
        self,
        address: tuple[str, int],
        exchange: Exchange,
        counters: Counters,
        faults: FaultTable,
        *,
        fixed_host: str | None = None,
        tls_context: ssl.SSLContext | None = None,
        idle_timeout: float = 120.0,
        max_body: int = 1 << 20,
    ) -> None:
        super().__init__(address, LabRequestHandler)
        self.timeout = 0.0  # handle_request() must not block: the Acceptor saw the socket ready
        self.exchange = exchange
        self.counters = counters
        self.faults = faults
        self.fixed_host = fixed_host
        self.tls_context = tls_context
        self.idle_timeout = idle_timeout
        self.max_body = max_body
        scheme = "https" if tls_context else "http"
        self.base_url = f"{scheme}://{address[0]}:{self.server_address[1]}"
        self.stopping = threading.Event()  # wakes delayed responses when the lab stops
        self._live_lock = threading.Lock()
        self._live: set[socket.socket] = set()

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server_address[1])

    def verify_request(self, request: Any, client_address: Any) -> bool:  # noqa: ARG002 -- stdlib signature
        """Count the connection; a down port-per-host host resets it at once."""
        self.counters.connection()
        if self.fixed_host is not None and self.exchange.is_down(self.fixed_host):
            reset_socket(request)
            return False
        return True

    def track(self, sock: socket.socket) -> None:
        """Remember an open connection (its TLS socket, if any) so stop() can close it."""
        with self._live_lock:
            self._live.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        """Forget a closed connection."""
        with self._live_lock:
            self._live.discard(sock)

    def close_connections(self) -> None:
        """Shut every open connection down (server stop)."""
        self.stopping.set()
        with self._live_lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)

    def open_connections(self) -> int:
        """How many connections are still open."""
        with self._live_lock:
            return len(self._live)

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002 -- stdlib signature
        """A connection died mid-request (client timeout, reset, failed TLS handshake)."""
        exc = sys.exc_info()[1]
        details = describe(exc) if exc is not None else {}
        _log.debug("lab.http.connection_error", client=str(client_address), **details)


class Acceptor:
    """One thread accepting connections for any number of listeners."""

    def __init__(self, servers: Sequence[LabHTTPServer]) -> None:
        self._servers = list(servers)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="lab-acceptor", daemon=True)

    def start(self) -> None:
        """Start accepting."""
        for server in self._servers:
            self._selector.register(server.socket, selectors.EVENT_READ, server)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting and close the listeners."""
        self._stopping = True
        self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
        for server in self._servers:
            server.server_close()

    def _loop(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select():
                server = key.data
                if server is not None and not self._stopping:
                    server.handle_request()
