"""The per-connection HTTP/1.1 handler: keep-alive, TCP_NODELAY, TLS, idle close, resets.

One handler instance serves one TCP connection (the stdlib's model), which is exactly the scope
of an NTLM security context. Responses go out in a single write: with Nagle off, a split write
costs nothing on loopback but one write is one packet.
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

import structlog

from orchestrator.lab.http.messages import ConnectionState, HttpRequest, HttpResponse
from orchestrator.lab.wsman.logsafe import describe

if TYPE_CHECKING:
    from orchestrator.lab.http.server import LabHTTPServer

_log = structlog.get_logger(__name__)
_TLS_HANDSHAKE_TIMEOUT = 10.0


class LabRequestHandler(BaseHTTPRequestHandler):
    """Reads requests off one connection and writes what the exchange decides."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it every response stalls ~40 ms on delayed ACKs
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: LabHTTPServer
    conn: ConnectionState

    def setup(self) -> None:
        """Finish the TLS handshake here, on the connection's thread, not on the acceptor's."""
        tls = self.server.tls_context
        if tls is not None:
            self.request.settimeout(_TLS_HANDSHAKE_TIMEOUT)
            self.request = tls.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
        super().setup()
        self.server.track(self.request)
        self.conn = ConnectionState(self.server.fixed_host, self.server.base_url)
        self._reset = False

    def finish(self) -> None:
        """Close what socketserver would not: a TLS socket, or one to reset."""
        try:
            super().finish()
        finally:
            self.server.untrack(self.request)
            if self._reset:
                reset_socket(self.request)
            elif self.server.tls_context is not None:
                self.request.close()

    def do_POST(self) -> None:
        """Every WS-Management request is a POST."""
        self._serve()

    def do_GET(self) -> None:
        """Answered like WinRM does: 404 off the endpoint, 405 on it."""
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        request = HttpRequest(self.command, self.path, self.headers, body)
        try:
            response = self.server.exchange.handle(self.conn, request)
        except Exception as exc:  # noqa: BLE001 -- a lab bug answers 500, as WinRM does
            _log.error("lab.http.internal_error", path=self.path, **describe(exc))
            response = HttpResponse(500, close=True)
        self._act(response)
        self._arm_idle_timeout()

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._write(HttpResponse(411, close=True))
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > self.server.max_body:
            self._write(HttpResponse(413 if length > 0 else 400, close=True))
            return None
        return self.rfile.read(length) if length else b""

    def _act(self, response: HttpResponse) -> None:
        if response.delay and self.server.stopping.wait(response.delay):
            self.close_connection = True
        elif response.action == "reset":
            self.reset()
        elif response.action == "drop":
            self.close_connection = True
        else:
            self._write(response)

    def _write(self, response: HttpResponse) -> None:
        if response.requeue is not None and _peer_gone(self.request):
            # The client gave up (read timeout) and closed: a write could still "succeed" into the
            # dead socket, so put the fragments back for pypsrp's retried Receive.
            response.requeue()
            self.close_connection = True
            return
        if response.close:
            self.close_connection = True
        try:
            self.wfile.write(_serialize(response, self.server_version))
        except OSError:
            self.close_connection = True
            if response.requeue is not None:
                response.requeue()

    def reset(self) -> None:
        """End the connection with RST, as a host that is down does."""
        self.close_connection = True
        self._reset = True

    def _arm_idle_timeout(self) -> None:
        """HTTP.sys closes idle keep-alive connections (default 120 s; a fault may shorten it)."""
        host = self.conn.host
        idle = self.server.faults.idle_close(host) if host else None
        self.request.settimeout(idle if idle is not None else self.server.idle_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are counted, not logged."""

    def log_error(self, format: str, *args: Any) -> None:
        """Idle timeouts and malformed request lines are routine for a WinRM endpoint."""


def _serialize(response: HttpResponse, server: str) -> bytes:
    """Status line, headers and body as one buffer."""
    status = f"HTTP/1.1 {response.status} {_phrase(response.status)}"
    head = [status, f"Server: {server}"]
    head += [f"{name}: {value}" for name, value in response.headers]
    if response.content_type:
        head.append(f"Content-Type: {response.content_type}")
    head.append(f"Content-Length: {len(response.body)}")
    if response.close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"  # a fault may inject any status


def _peer_gone(sock: socket.socket) -> bool:
    """Whether the client closed while we worked: WinRM clients never pipeline, so a socket
    that is readable before we answer holds EOF (or an RST)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    if isinstance(sock, ssl.SSLSocket):
        return True  # cannot peek through TLS; readable before the answer means closed
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def reset_socket(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0) and no FIN first, as an unreachable host's stack does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass  # already closed by the peer
    finally:
        sock.close()
