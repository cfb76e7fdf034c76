"""Is a host's WinRM endpoint there? One unauthenticated request: no logon is spent.

The preflight asks every host this in parallel before it spends one logon per credential, so
a host that is down costs one short connect timeout, never a logon or a retry with backoff.
A POST without an Authorization header is answered 401 with the authentication schemes on
offer (WinRM's listener behind HTTP.sys does so for any URL it serves); Windows counts no
failed logon for it, since no credential was presented.
"""

from __future__ import annotations

from pathlib import Path

import requests

from orchestrator.errors import ConnectError, TransportError, Where
from orchestrator.inventory.model import Host, Scheme
from orchestrator.transport.psrp.errors import translate
from orchestrator.transport.psrp.settings import ca_bundle_path

REACH_CONNECT_TIMEOUT = 5.0  # seconds at most to connect; a host's own setting if shorter
REACH_READ_TIMEOUT = 10.0
_SOAP = "application/soap+xml;charset=UTF-8"
_UNAVAILABLE = 503
_NOT_SERVED = 404


def check_reachable(host: Host, base_dir: Path) -> None:
    """Return when the host's WinRM endpoint answers; ConnectError (or TransportError for an
    answer that is not WinRM's) otherwise. Sends no credential."""
    conn = host.connection
    timeout = (
        min(REACH_CONNECT_TIMEOUT, conn.connection_timeout.total_seconds()),
        min(REACH_READ_TIMEOUT, conn.read_timeout.total_seconds()),
    )
    with requests.Session() as session:
        session.trust_env = False  # as BoundedWSMan: the inventory's proxy, never the environment's
        if host.connection.proxy is not None:
            session.proxies = {"http": host.connection.proxy, "https": host.connection.proxy}
        try:
            response = session.post(
                endpoint(host),
                data=b"",
                headers={"Content-Type": _SOAP},
                timeout=timeout,
                verify=_verify(host, base_dir),
            )
        except requests.exceptions.RequestException as exc:
            raise translate(exc, host.name, may_have_run=False) from exc
    _check_answer(host, response.status_code)


def endpoint(host: Host) -> str:
    """The URL pypsrp would POST to for this host."""
    conn = host.connection
    scheme = "https" if conn.scheme is Scheme.HTTPS else "http"
    address = f"[{host.address}]" if ":" in host.address else host.address
    return f"{scheme}://{address}:{conn.port}/{conn.path.lstrip('/')}"


def _verify(host: Host, base_dir: Path) -> bool | str:
    value = host.connection.cert_validation
    return value if isinstance(value, bool) else str(ca_bundle_path(value, base_dir))


def _check_answer(host: Host, status: int) -> None:
    where = Where(host=host.name)
    if status == _UNAVAILABLE:
        raise ConnectError(
            f"{host.name}: WinRM is unavailable (HTTP 503)", where=where, may_have_run=False
        )
    if status == _NOT_SERVED:
        raise TransportError(
            f"{host.name}: no WinRM endpoint at {endpoint(host)} (HTTP 404): check the"
            " inventory's port and path",
            where=where,
            may_have_run=False,
        )
