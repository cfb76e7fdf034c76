"""pypsrp and requests exceptions, translated into ours at the boundary (as the lab's injected
faults show them, tests/transport/test_faults.py).

    pypsrp / requests                          ours
    AuthenticationError, HTTP 401              AuthError          never retried
    a KDC's refusal (kerberos.py): wrong       AuthError          never retried
      password, locked, unknown user, skew,
      KDC unreachable; an unknown SPN          TransportError     that host only
    WSManFault 5 (access denied)               AuthError          the account may not use WinRM
    requests ConnectionError: refused, reset,  ConnectError       transient
      DNS, dropped, SSLError, ConnectTimeout
    HTTP 503                                   ConnectError       transient (service busy)
    requests ReadTimeout                       OperationTimeout   transient
    WSManFault 2150858793 (w:TimedOut)         OperationTimeout   open() does not swallow it
    WSManFault 2150858843 (shell not found)    ConnectError       the pool is gone: reopened
    HTTP 500, 502, 504                         ServerError        transient: the runner re-probes
    other HTTP codes (400 ...)                 TransportError
    other WSManFaults, PSRP state errors       TransportError
    anything else pypsrp raises (SpnegoError,  TransportError     e.g. not a WinRM endpoint
      KeyError, ParseError ...)

AuthenticationError subclasses WinRMError, so it is matched first. Messages name the host, the
class and the code, never a parameter value (which may be a secret); the original exception is
kept as __cause__.
"""

from __future__ import annotations

import requests
from pypsrp.exceptions import (
    AuthenticationError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)

from orchestrator.errors import (
    AuthError,
    ConnectError,
    OperationTimeout,
    ServerError,
    TransportError,
    Where,
)
from orchestrator.transport.psrp.kerberos import translate_kerberos

TIMED_OUT = 2150858793  # w:TimedOut: no output within OperationTimeout
SHELL_NOT_FOUND = 2150858843  # the shell (pool) is gone on the server (pypsrp #22)
ACCESS_DENIED = 5
BAD_REQUEST = 400  # a body sealed with a dead connection's keys (pypsrp #21)

BOUNDARY: tuple[type[Exception], ...] = (Exception,)
"""Everything a pypsrp call may raise: its WinRMErrors, requests' and pyspnego's errors, and
what its parsers raise on an answer that is not WS-Management (pypsrp 0.9.1 raises KeyError
when a plain web server answers NTLM's priming POST with 200). Only pypsrp calls sit inside
`except BOUNDARY`; our own values are checked before (psrp_pipeline.check_parameters)."""


def stale_connection(exc: BaseException) -> bool:
    """HTTP 400: the host could not unseal a body sealed for a connection it closed (#21)."""
    return isinstance(exc, WinRMTransportError) and exc.code == BAD_REQUEST


def certainly_not_run(exc: BaseException) -> bool:
    """True when the host answered that it did not process the request at all.

    400: the host could not unseal the body (an idle-closed NTLM connection, pypsrp #21).
    2150858843: the shell it names does not exist. Both come from the host itself, so a
    request that got either one had no effect, and resending it on a new pool is safe.
    """
    if stale_connection(exc):
        return True
    return isinstance(exc, WSManFaultError) and exc.code == SHELL_NOT_FOUND


def never_connected(exc: BaseException) -> bool:
    """True when no connection was made (refused, DNS, connect timeout): nothing was sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return isinstance(exc, requests.exceptions.ConnectionError) and _reason(exc) in (
        "NewConnectionError",
        "NameResolutionError",
    )


def translate(exc: BaseException, host: str, *, may_have_run: bool = True) -> TransportError:
    """Our error for a pypsrp/requests/setup exception raised while talking to `host`;
    `may_have_run` says whether the request may have reached the host (it is kept on it)."""
    error = translate_kerberos(exc, host) or _translated(exc, host)
    error.connected = not never_connected(exc)
    error.may_have_run = may_have_run and error.connected
    return error


def _translated(exc: BaseException, host: str) -> TransportError:
    where = Where(host=host)
    if isinstance(exc, AuthenticationError):
        return AuthError(f"{host}: the credential was rejected (HTTP 401)", where=where)
    if isinstance(exc, WinRMTransportError):
        return _http_status(exc, host, where)
    if isinstance(exc, WSManFaultError):
        return _fault(exc, host, where)
    if isinstance(exc, requests.exceptions.RequestException):
        return _requests(exc, host, where)
    if isinstance(exc, WinRMError):
        return TransportError(f"{host}: PSRP error ({type(exc).__name__})", where=where)
    return TransportError(
        f"{host}: unexpected {type(exc).__name__} from pypsrp (is this a WinRM endpoint?)",
        where=where,
    )


def _http_status(exc: WinRMTransportError, host: str, where: Where) -> TransportError:
    code = int(exc.code)
    if code == 401:
        return AuthError(f"{host}: the credential was rejected (HTTP 401)", where=where)
    if code == 503:
        return ConnectError(f"{host}: WinRM is unavailable (HTTP 503)", where=where)
    if code in (500, 502, 504):
        return ServerError(f"{host}: HTTP {code} from the WinRM endpoint", where=where)
    return TransportError(f"{host}: HTTP {code} from the WinRM endpoint", where=where)


def _fault(exc: WSManFaultError, host: str, where: Where) -> TransportError:
    code = exc.code
    if code == ACCESS_DENIED:
        return AuthError(f"{host}: access denied to WinRM (WSManFault 5)", where=where)
    if code == TIMED_OUT:
        return OperationTimeout(f"{host}: the operation timed out (WSManFault)", where=where)
    if code == SHELL_NOT_FOUND:
        return ConnectError(f"{host}: the PowerShell pool is gone on the host", where=where)
    return TransportError(f"{host}: WSManFault {code}: {exc.reason}", where=where)


def _requests(exc: requests.exceptions.RequestException, host: str, where: Where) -> TransportError:
    # order matters: SSLError and ConnectTimeout are ConnectionErrors, ConnectTimeout a Timeout
    if isinstance(exc, requests.exceptions.SSLError):
        return ConnectError(f"{host}: TLS failed (certificate or handshake)", where=where)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectError(f"{host}: connection timed out", where=where)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return OperationTimeout(f"{host}: no answer within the read timeout", where=where)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ConnectError(f"{host}: cannot reach the host ({_reason(exc)})", where=where)
    return TransportError(f"{host}: HTTP client error ({type(exc).__name__})", where=where)


def _reason(exc: requests.exceptions.ConnectionError) -> str:
    """urllib3's reason: NewConnectionError (refused, DNS), ProtocolError (reset, dropped) ..."""
    inner = exc.args[0] if exc.args else exc
    return type(getattr(inner, "reason", inner)).__name__
