"""The resolved inventory: frozen values, computed once at load, no I/O.

Every host carries its final connection settings, roles, groups and variables, and for each
of them the place it came from (`Origin`), so `inventory list` and error messages can say
*why* a host connects the way it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.errors import Location
from orchestrator.secrets import EnvSource, FileSource, GenerateSource, PromptSource, SecretRequest

PasswordSource = EnvSource | FileSource | PromptSource | GenerateSource


class Role(StrEnum):
    """What a host is in the SMS 2.0 site (Q236052); roles add up across groups."""

    DOMAIN_CONTROLLER = "domain_controller"
    CAP_SERVER = "cap_server"
    SITE_SERVER = "site_server"
    LOGON_POINT = "logon_point"
    CLIENT = "client"


class Scheme(StrEnum):
    """WinRM over plain HTTP (5985) or HTTPS (5986)."""

    HTTP = "http"
    HTTPS = "https"


class Auth(StrEnum):
    """Authentication protocols pypsrp offers."""

    NEGOTIATE = "negotiate"
    NTLM = "ntlm"
    KERBEROS = "kerberos"
    BASIC = "basic"
    CERTIFICATE = "certificate"
    CREDSSP = "credssp"


class Encryption(StrEnum):
    """pypsrp's message encryption setting (needed over HTTP, optional over HTTPS)."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


DEFAULT_PORTS: Mapping[Scheme, int] = MappingProxyType({Scheme.HTTP: 5985, Scheme.HTTPS: 5986})


@dataclass(frozen=True)
class Origin:
    """Where a resolved value was set: its location (None for defaults) and its scope."""

    # scope: "host cap1", "group caps", "all", "default" or "default for https"

    location: Location | None
    scope: str

    def __str__(self) -> str:
        if self.location is None:
            return self.scope
        return f"{self.location} ({self.scope})"


DEFAULT = Origin(None, "default")


@dataclass(frozen=True)
class Connection:
    """How to reach one host over WinRM; durations are timedeltas."""

    scheme: Scheme = Scheme.HTTPS
    port: int = DEFAULT_PORTS[Scheme.HTTPS]
    path: str = "/wsman"
    auth: Auth = Auth.NEGOTIATE
    cert_validation: bool | Path = True  # a Path is a CA bundle
    credential: str | None = None
    connection_timeout: timedelta = timedelta(seconds=30)
    read_timeout: timedelta = timedelta(seconds=30)
    operation_timeout: timedelta = timedelta(seconds=20)
    encryption: Encryption = Encryption.AUTO
    # Basic over plain http sends the password (base64) and every message unencrypted:
    # refused at load unless the inventory opts in (resolve.py)
    allow_basic_over_http: bool = False
    proxy: str | None = None  # an HTTP(S) or SOCKS proxy URL; None: straight to the host
    # the host name of the HTTP/<name> service principal a Kerberos ticket is asked for, when
    # the address is not that name (an IP address, an alias); None: the address
    kerberos_hostname: str | None = None


CONNECTION_FIELDS: tuple[str, ...] = tuple(Connection.__dataclass_fields__)


@dataclass(frozen=True)
class Credential:
    """A named account: user name and where its password comes from (never the password)."""

    name: str
    username: str
    password: PasswordSource
    location: Location | None = None

    @property
    def secret_name(self) -> str:
        """The name the password is resolved and reported under."""
        return f"credentials.{self.name}.password"

    def secret_request(self, base_dir: Path) -> SecretRequest:
        """The request that fetches this credential's password (file: paths from base_dir)."""
        return SecretRequest(self.secret_name, self.password, self.location, base_dir)


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@dataclass(frozen=True)
class Host:
    """One resolved host: address, connection, roles, groups and vars, with their origins."""

    # origins: keyed "address", "port", ... (every Connection field), "roles.<role>" and
    # "vars.<name>". groups: every group holding the host (its ancestors too) except `all`,
    # in precedence order, lowest first.

    name: str
    address: str
    connection: Connection = field(default_factory=Connection)
    roles: frozenset[Role] = frozenset()
    groups: tuple[str, ...] = ()
    vars: Mapping[str, Any] = field(default_factory=dict)
    origins: Mapping[str, Origin] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vars", _frozen_mapping(self.vars))
        object.__setattr__(self, "origins", _frozen_mapping(self.origins))

    def __hash__(self) -> int:
        return hash(self.name)

    def origin(self, key: str) -> Origin:
        """Where `key` (`port`, `vars.site_code`, ...) came from; `default` if unrecorded."""
        return self.origins.get(key, DEFAULT)


@dataclass(frozen=True)
class Group:
    """A group: its hosts (its children's included, inventory order) and direct children."""

    name: str
    hosts: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class Inventory:
    """A loaded inventory: hosts in file order, groups (with `all`) and credentials by name."""

    path: Path
    hosts: tuple[Host, ...] = ()
    groups: Mapping[str, Group] = field(default_factory=dict)
    credentials: Mapping[str, Credential] = field(default_factory=dict)
    kerberos_config: Path | None = None  # krb5.conf for this command (KRB5_CONFIG), absolute

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", _frozen_mapping(self.groups))
        object.__setattr__(self, "credentials", _frozen_mapping(self.credentials))

    def __hash__(self) -> int:
        return hash((self.path, tuple(h.name for h in self.hosts)))

    @property
    def base_dir(self) -> Path:
        """The directory relative paths in the inventory are read from."""
        return self.path.parent

    def host(self, name: str) -> Host | None:
        """The host called `name`, if there is one."""
        return next((h for h in self.hosts if h.name == name), None)

    def credential_for(self, host: Host) -> Credential | None:
        """The credential the host connects with (None: the current identity, e.g. Kerberos)."""
        name = host.connection.credential
        return self.credentials.get(name) if name else None

    def secret_requests(self, hosts: Iterable[Host]) -> tuple[SecretRequest, ...]:
        """The SecretRequests of every credential these hosts use, each once, by name."""
        names = sorted({h.connection.credential for h in hosts if h.connection.credential})
        return tuple(
            self.credentials[n].secret_request(self.base_dir)
            for n in names
            if n in self.credentials
        )

    def restricted_to(self, names: Iterable[str]) -> Inventory:
        """The same inventory holding only the named hosts, in its hosts and in every group."""
        keep = set(names)
        groups = {
            g.name: replace(g, hosts=tuple(h for h in g.hosts if h in keep))
            for g in self.groups.values()
        }
        return replace(self, hosts=tuple(h for h in self.hosts if h.name in keep), groups=groups)


def security_notices(hosts: Iterable[Host]) -> list[str]:
    """What weakens these hosts' connections although the inventory allows it, one line each.

    Every command that reaches hosts shows these (stderr, logs, reports): an insecure choice
    is allowed where the operator made it, never silent.
    """
    chosen = list(hosts)
    unvalidated = [
        h.name
        for h in chosen
        if h.connection.scheme is Scheme.HTTPS and h.connection.cert_validation is False
    ]
    in_clear = [
        h.name
        for h in chosen
        if h.connection.scheme is Scheme.HTTP and h.connection.auth is Auth.BASIC
    ]
    notices = []
    if unvalidated:
        notices.append(
            f"certificate validation is off for {_some(unvalidated)} (cert_validation: false):"
            " anyone on the network path can pose as them and receive the credentials sent"
            " to them; give cert_validation the path of the CA bundle instead"
        )
    if in_clear:
        notices.append(
            f"basic authentication over plain http for {_some(in_clear)}"
            " (allow_basic_over_http: true): the password and every command cross the network"
            " unencrypted; use https where you can"
        )
    return notices


_NAMES_SHOWN = 5


def _some(names: list[str]) -> str:
    """`3 hosts (a, b, c)`; past five names, `and N more`."""
    shown = ", ".join(names[:_NAMES_SHOWN])
    more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
    noun = "host" if len(names) == 1 else "hosts"
    return f"{len(names)} {noun} ({shown}{more})"
