"""From an inventory host to a pypsrp `WSMan`: the one place a password is revealed.

Every knob comes from the host's `Connection` (the arguments of pypsrp's `WSMan`, wsman.py):

    scheme, port, path     https -> ssl=True; the path without its leading "/" (pypsrp adds it)
    auth                   passed through: negotiate, ntlm, basic need nothing more;
                           kerberos needs `pip install pypsrp[kerberos]` (pyspnego[kerberos]:
                           gssapi + krb5 and the system MIT krb5 libraries) and a ticket or a
                           credential; credssp needs `pip install pypsrp[credssp]`
                           (requests-credssp); certificate needs host vars `certificate_pem`
                           and `certificate_key_pem` (paths, relative to the inventory)
    cert_validation        True, False or a CA bundle (a Path, read relative to the inventory)
    *_timeout              seconds; read_timeout must exceed operation_timeout, or every
                           Receive long-poll ends in a ReadTimeout
    encryption             auto, always, never (pypsrp refuses basic + sealing over HTTP)
    kerberos_hostname      negotiate_hostname_override: the name of the host's HTTP/<name>
                           service principal when the address is not it (an IP address)
    proxy                  a proxy URL, or none: straight to the host; the environment's
                           HTTP(S)_PROXY / NO_PROXY are never read (see BoundedWSMan);
                           socks5:// needs `pip install requests[socks]` (PySocks)

pypsrp's `reconnection_retries` is 0: tenacity, in the runner, is the only retry layer. Its
`reconnection_backoff` is also the sleep factor of the transport's single Receive resend
(`BoundedWSMan`), so it is kept small.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from pypsrp.wsman import NAMESPACES, WSMan, WSManAction

from orchestrator.errors import TransportError, Where
from orchestrator.inventory.model import Auth, Host, Scheme
from orchestrator.secrets import Secret

Login = tuple[str, Secret]
"""A credential as the runner resolved it: (user name, password)."""

RECONNECTION_BACKOFF = 0.1  # seconds; pypsrp's default 2.0 would sleep 2 s before a Receive resend
RECEIVE_RESENDS = 1  # pypsrp's WSMan.receive hard-codes 5 (~5 min on a dead host); one keeps lost
# output recoverable (Receive is safe to repeat: the host re-queues unanswered output)

_EXTRA_PACKAGES: dict[Auth, tuple[str, str]] = {
    Auth.KERBEROS: ("gssapi", "pip install pypsrp[kerberos] (gssapi, krb5, system MIT krb5)"),
    Auth.CREDSSP: ("requests_credssp", "pip install pypsrp[credssp] (requests-credssp)"),
}
_NEEDS_LOGIN = frozenset({Auth.BASIC, Auth.NTLM, Auth.CREDSSP})  # negotiate and kerberos
# can use the current identity's Kerberos ticket; certificate uses the client certificate
_CERT_VARS = ("certificate_pem", "certificate_key_pem")


@dataclass(frozen=True)
class WSManSettings:
    """Everything WSMan(...) is given for one host; the password stays a Secret until build."""

    server: str
    port: int
    path: str
    ssl: bool
    auth: Auth
    cert_validation: bool | Path
    connection_timeout: float
    read_timeout: float
    operation_timeout: float
    encryption: str
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    auth_options: tuple[tuple[str, str], ...] = ()
    proxy: str | None = None
    kerberos_hostname: str | None = None


def settings_for(host: Host, login: Login | None, base_dir: Path) -> WSManSettings:
    """The WSMan settings of a host; TransportError for a setting that cannot work."""
    conn = host.connection
    where = Where(host=host.name)
    _check_timeouts(host, where)
    _check_login(host, login, where)
    _check_packages(conn.auth, where)
    _check_proxy(conn.proxy, where)
    return WSManSettings(
        server=host.address,
        port=conn.port,
        path=conn.path.lstrip("/"),
        ssl=conn.scheme is Scheme.HTTPS,
        auth=conn.auth,
        cert_validation=_ca_bundle(conn.cert_validation, base_dir, where),
        connection_timeout=conn.connection_timeout.total_seconds(),
        read_timeout=conn.read_timeout.total_seconds(),
        operation_timeout=conn.operation_timeout.total_seconds(),
        encryption=conn.encryption.value,
        username=login[0] if login else None,
        password=login[1] if login else None,
        auth_options=_auth_options(host, base_dir, where),
        proxy=conn.proxy,
        kerberos_hostname=conn.kerberos_hostname,
    )


def _check_timeouts(host: Host, where: Where) -> None:
    conn = host.connection
    if conn.read_timeout <= conn.operation_timeout:
        # the inventory loader refuses this too; a Host built in code must not slip past
        raise TransportError(
            f"{host.name}: read_timeout must be longer than operation_timeout, or every"
            " Receive long-poll ends in a read timeout",
            where=where,
        )


def _check_login(host: Host, login: Login | None, where: Where) -> None:
    name = host.connection.credential
    if name is not None and login is None:
        raise TransportError(
            f"{host.name}: no password was resolved for credential {name!r}", where=where
        )
    if login is None and host.connection.auth in _NEEDS_LOGIN:
        raise TransportError(
            f"{host.name}: auth {host.connection.auth.value} needs a credential", where=where
        )


def _check_packages(auth: Auth, where: Where) -> None:
    needed = _EXTRA_PACKAGES.get(auth)
    if needed and importlib.util.find_spec(needed[0]) is None:
        raise TransportError(f"auth {auth.value} needs extra packages: {needed[1]}", where=where)


def _check_proxy(proxy: str | None, where: Where) -> None:
    if proxy is not None and proxy.startswith("socks") and not importlib.util.find_spec("socks"):
        raise TransportError(
            "a socks proxy needs an extra package: pip install requests[socks] (PySocks)",
            where=where,
        )


def ca_bundle_path(value: Path, base_dir: Path) -> Path:
    """A CA bundle path relative to the inventory's directory (the loader may have joined it)."""
    if value.is_absolute() or base_dir in value.parents:
        return value.absolute()
    return (base_dir / value).absolute()


def _ca_bundle(value: bool | Path, base_dir: Path, where: Where) -> bool | Path:
    if isinstance(value, bool):
        return value
    path = ca_bundle_path(value, base_dir)
    if not path.is_file():
        raise TransportError(f"cert_validation: CA bundle {path} is not a file", where=where)
    return path


def _auth_options(host: Host, base_dir: Path, where: Where) -> tuple[tuple[str, str], ...]:
    if host.connection.auth is not Auth.CERTIFICATE:
        return ()
    missing = [name for name in _CERT_VARS if not isinstance(host.vars.get(name), str)]
    if missing:
        raise TransportError(
            f"{host.name}: auth certificate needs host vars {', '.join(missing)} (PEM paths)",
            where=where,
        )
    return tuple((name, str(base_dir / str(host.vars[name]))) for name in _CERT_VARS)


class BoundedWSMan(WSMan):
    """pypsrp's WSMan with its hidden Receive read-timeout retries cut from 5 to one resend,
    and a requests session that never looks at the environment per request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As WSMan(...); the HTTP session is built now, with trust_env off.

        pypsrp 0.9.1 builds its requests.Session on the first request and leaves trust_env on:
        even with no_proxy=True (proxies {scheme: False}), requests' Session.send then calls
        resolve_proxies, i.e. should_bypass_proxies and get_environ_proxies, which read the
        environment's proxy settings on every request (~10% of a run's time in issue 13's
        profile). The proxy is decided once here instead: no_proxy, or the inventory's proxy.
        Built in pypsrp's own _build_session (auth, retries, TLS verification as it does them).
        """
        super().__init__(*args, **kwargs)
        session = self.transport._build_session()
        session.trust_env = False
        self.transport.session = session

    def receive(
        self,
        resource_uri: str,
        resource: ET.Element,
        option_set: Any = None,
        selector_set: Any = None,
        timeout: int | None = None,
    ) -> ET.Element:
        """Receive, resent once after a read timeout (pypsrp 0.9.1 wsman.py resends 5 times)."""
        response = self.invoke(
            WSManAction.RECEIVE,
            resource_uri,
            resource,
            option_set,
            selector_set,
            timeout,
            retries_on_read_timeout=RECEIVE_RESENDS,
        )
        body = response.find("s:Body", namespaces=NAMESPACES)
        assert body is not None  # every WSMan response has a body
        return body


def build_wsman(settings: WSManSettings) -> WSMan:
    """A WSMan for these settings; raises pypsrp's ValueError for an impossible combination."""
    # pypsrp annotates cert_validation as bool, but passes it to requests' `verify`, which
    # takes a CA bundle path as well (as tests/e2e/test_lab_fixture.py does)
    validation: Any = (
        str(settings.cert_validation)
        if isinstance(settings.cert_validation, Path)
        else settings.cert_validation
    )
    # timeouts are floats: requests takes them, pypsrp only formats them (PT0.5S is valid);
    # certificate auth adds certificate_pem and certificate_key_pem
    extra: dict[str, Any] = {
        "connection_timeout": settings.connection_timeout,
        "read_timeout": settings.read_timeout,
        "operation_timeout": settings.operation_timeout,
        **dict(settings.auth_options),
    }
    if settings.kerberos_hostname is not None:
        extra["negotiate_hostname_override"] = settings.kerberos_hostname
    return BoundedWSMan(
        settings.server,
        port=settings.port,
        path=settings.path,
        ssl=settings.ssl,
        auth=settings.auth.value,
        username=settings.username,
        password=settings.password.reveal() if settings.password else None,
        cert_validation=validation,
        encryption=settings.encryption,
        proxy=settings.proxy,
        no_proxy=settings.proxy is None,
        reconnection_retries=0,
        reconnection_backoff=RECONNECTION_BACKOFF,
        **extra,
    )
