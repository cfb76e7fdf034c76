"""One HTTP request, start to finish: route, authenticate, unseal, fault, dispatch, seal.

The order mirrors WinRM behind HTTP.sys: an unknown URL is 404 before any authentication; a
down host resets the connection; authentication comes before the body is even looked at; a
sealed body that cannot be unsealed is 400 (pypsrp #21); transport faults hit authenticated
SOAP requests only, so handshakes stay intact. Most faults answer instead of the service; a
drop-after fault lets the service act and then loses its answer.
"""

from __future__ import annotations

import base64
import binascii
import re

from pypsrp.encryption import WinRMEncryption

from orchestrator.lab.contract import LabBackend
from orchestrator.lab.http.auth import Authenticator, AuthStep
from orchestrator.lab.http.counters import Counters
from orchestrator.lab.http.faults import FaultSpec, FaultTable
from orchestrator.lab.http.messages import (
    SOAP_TYPE,
    ConnectionState,
    HttpRequest,
    HttpResponse,
    sealed_type,
)
from orchestrator.lab.http.router import Router
from orchestrator.lab.wsman import errors
from orchestrator.lab.wsman.errors import WSManFault
from orchestrator.lab.wsman.service import Caller, Reply, WSManService, fault_reply
from orchestrator.lab.wsman.soap import WSManRequest, parse_request

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_NOT_FOUND = b"<h1>Not Found</h1>"  # HTTP.sys answers an unregistered URL with 404
_ALLOW = (("Allow", "POST"),)


class Exchange:
    """Turns an HttpRequest into an HttpResponse for any lab host."""

    def __init__(
        self,
        *,
        backend: LabBackend,
        router: Router,
        authenticator: Authenticator,
        faults: FaultTable,
        counters: Counters,
        wsman: WSManService,
    ) -> None:
        self._backend = backend
        self._router = router
        self._auth = authenticator
        self._faults = faults
        self._counters = counters
        self._wsman = wsman

    def handle(self, conn: ConnectionState, request: HttpRequest) -> HttpResponse:
        """Answer one request on one connection."""
        self._counters.http_request()
        host = self._router.resolve(request.path, conn.fixed_host)
        if host is None:
            return HttpResponse(404, _NOT_FOUND, "text/html")
        conn.host = host
        if self.is_down(host):
            return HttpResponse(action="reset")
        if request.method != "POST":
            return HttpResponse(405, headers=_ALLOW)
        scheme, step = self._login(conn, host, request)
        if step.status != "ok":
            return self._challenge(scheme, step)
        return self._serve(conn, host, scheme, step, request)

    def is_down(self, host: str) -> bool:
        """Down by the domain (host_is_up) or by a fault."""
        return self._faults.is_down(host) or not self._backend.host_is_up(host)

    def _login(
        self, conn: ConnectionState, host: str, request: HttpRequest
    ) -> tuple[str, AuthStep]:
        header = request.headers.get("Authorization")
        if header is None:
            session = conn.negotiate
            if session is not None and session.host == host and session.user:
                return session.scheme, AuthStep("ok", session.user)
            return "Negotiate", AuthStep("denied")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "basic":
            return scheme, self._auth.basic(host, value.strip())
        if scheme.lower() in ("negotiate", "ntlm") or (
            scheme.lower() == "kerberos" and self._auth.offers_kerberos
        ):
            return scheme, self._negotiate(conn, host, scheme, value.strip())
        return scheme, AuthStep("denied")

    def _negotiate(self, conn: ConnectionState, host: str, scheme: str, value: str) -> AuthStep:
        try:
            token = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return AuthStep("denied")
        session = conn.negotiate
        if session is None or session.host != host or session.context.complete:
            session = conn.negotiate = self._auth.new_session(host, scheme)
        step = self._auth.negotiate(session, token)
        if step.status == "denied":
            conn.negotiate = None
        return step

    def _challenge(self, scheme: str, step: AuthStep) -> HttpResponse:
        if step.status == "continue" and step.token:
            token = base64.b64encode(step.token).decode()
            return HttpResponse(401, headers=(("WWW-Authenticate", f"{scheme} {token}"),))
        return HttpResponse(401, headers=self._auth.challenge)

    def _serve(
        self, conn: ConnectionState, host: str, scheme: str, step: AuthStep, request: HttpRequest
    ) -> HttpResponse:
        extra = _final_token(scheme, step)
        if not request.body:
            return HttpResponse(200, headers=extra)  # an authentication-only leg
        encryption = None
        soap: bytes | None = request.body
        if _is_sealed(request):
            # No context here means a new connection carrying a body sealed for an old one
            # (pypsrp #21): Windows answers 400.
            encryption = conn.negotiate.encryption if conn.negotiate else None
            soap = _unseal(encryption, request) if encryption else None
        if soap is None:
            return HttpResponse(400)
        response = self._dispatch(conn, host, step.user, soap)
        response.headers = extra + response.headers
        return _seal(encryption, response) if encryption else response

    def _dispatch(self, conn: ConnectionState, host: str, user: str, soap: bytes) -> HttpResponse:
        try:
            request = parse_request(soap)
        except WSManFault as err:
            return _as_http(fault_reply(err, None))
        self._counters.soap(host, request.name)
        fault = self._faults.take(host, request.name)
        if fault is not None:
            self._counters.fault(host, fault.kind)
        response = _injected(fault, request) if fault else None
        if response is None:
            url = conn.base_url + request_path(conn, host)
            response = _as_http(self._wsman.handle(Caller(host, user, url), request))
            if fault is not None and fault.drop_after:
                response = _lost()
        response.delay = (fault.latency + fault.hang) if fault else 0.0
        return response


def request_path(conn: ConnectionState, host: str) -> str:
    """The path a client addresses `host` by on this connection's listener."""
    return Router.path_for(host, port_per_host=conn.fixed_host is not None)


def _injected(fault: FaultSpec, request: WSManRequest) -> HttpResponse | None:
    """The response a fault imposes, or None when it only delays the real one."""
    if fault.drop:
        return HttpResponse(action="drop")
    if fault.http_status is not None:
        return HttpResponse(fault.http_status)
    if fault.operation_timeout:
        return _as_http(fault_reply(errors.timed_out(), request.message_id))
    return None


def _lost() -> HttpResponse:
    """The service acted, then a proxy lost its answer: close without it.

    The answer's `requeue` is not carried over, on purpose: a Receive's output fragments are
    gone. WinRM resends a lost answer only to a client that asked for Robust Connection
    Support with a wsmv:OperationID header ([MS-WSMV] 3.1.4.1.39); pypsrp 0.9.1 sends none,
    so the output is lost and pypsrp fails that pipeline.
    """
    return HttpResponse(action="drop")


def _as_http(reply: Reply) -> HttpResponse:
    return HttpResponse(reply.status, reply.body, SOAP_TYPE, requeue=reply.requeue)


def _final_token(scheme: str, step: AuthStep) -> tuple[tuple[str, str], ...]:
    """SPNEGO's mechListMIC (NTLM) or Kerberos's AP-REP (mutual authentication) must reach the
    client, or its first unseal fails (BadMICError) or its context never completes. It goes
    under the scheme the client used (RFC 4559, section 4); Basic has none."""
    if not step.token:
        return ()
    final = "Kerberos" if scheme.lower() == "kerberos" else "Negotiate"
    return (("WWW-Authenticate", f"{final} " + base64.b64encode(step.token).decode()),)


def _is_sealed(request: HttpRequest) -> bool:
    kind = request.headers.get("Content-Type", "").lower()
    return kind.startswith(("multipart/encrypted", "multipart/x-multi-encrypted"))


def _unseal(encryption: WinRMEncryption, request: HttpRequest) -> bytes | None:
    match = _BOUNDARY.search(request.headers.get("Content-Type", ""))
    try:
        data: bytes = encryption.unwrap_message(
            request.body, match.group(1) if match else "Encrypted Boundary"
        )
    except Exception:  # noqa: BLE001 -- any unsealing failure is what Windows answers with 400
        return None
    return data


def _seal(encryption: WinRMEncryption, response: HttpResponse) -> HttpResponse:
    """Seal a SOAP reply (faults included) as the request was sealed."""
    if response.action != "respond" or response.content_type != SOAP_TYPE:
        return response
    kind, response.body = encryption.wrap_message(response.body)
    response.content_type = sealed_type(kind, encryption.protocol)
    return response
