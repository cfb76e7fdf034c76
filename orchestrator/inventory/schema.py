"""The inventory file's shape, node by node, as pydantic models (validation only).

Each group, host and credential is validated on its own, so one bad node does not hide the
problems of the others: every problem of a file is reported at once. Structure (which host
sits in which group) is walked from the raw data by `collect`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

from orchestrator.durations import Duration, parse_duration
from orchestrator.secrets import GenerateSource, SecretRef
from orchestrator.validation import SECRET_FIELD

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADDRESS = re.compile(r"^[A-Za-z0-9._%:\[\]-]+$")
_REFERENCE = re.compile(r"^(?:env:|file:|prompt(?::|$)|generate$)")

MAX_TIMEOUT = timedelta(days=1)

RoleName = Literal["domain_controller", "cap_server", "site_server", "logon_point", "client"]
SchemeName = Literal["http", "https"]
AuthName = Literal["negotiate", "ntlm", "kerberos", "basic", "certificate", "credssp"]
EncryptionName = Literal["auto", "always", "never"]


def _var_name(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise PydanticCustomError(
            "var_name",
            "variable names are letters, digits and _, not starting with a digit; found {name!r}",
            {"name": name},
        )
    return name


def _address(value: Any) -> Any:
    if isinstance(value, str) and "://" in value:
        raise ValueError(
            f"expected a host name or IP address, found the URL {value!r};"
            " scheme, port and path are separate settings"
        )
    if isinstance(value, str) and not _ADDRESS.match(value):
        raise ValueError(f"expected a host name or IP address, found {value!r}")
    return value


def _cert_validation(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, str) and value.strip()):
        return value
    raise PydanticCustomError(
        "cert_validation", "expected true, false or the path of a CA bundle file"
    )


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_NOT_SHOWN = "; the value found is not shown (a proxy URL may hold a password)"


def _proxy(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # str's own message
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        url = None
    if url is None or url.scheme not in PROXY_SCHEMES or not url.hostname:
        raise ValueError(
            "expected a proxy URL such as http://proxy.contoso.com:3128, its scheme one of "
            + ", ".join(PROXY_SCHEMES)
            + _NOT_SHOWN
        )
    if url.username is not None or url.password is not None:
        raise ValueError("a proxy URL with a user name or password is not supported" + _NOT_SHOWN)
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("expected a duration longer than 0s, such as 30s")
    return value


def _bounded(value: Any) -> Any:
    # A WinRM timeout over a day is a typo.
    try:
        parsed = parse_duration(value)
    except ValueError:
        return value  # Duration reports it with its own message (huge values included)
    if parsed > MAX_TIMEOUT:
        raise ValueError(f"expected a timeout of at most 1d, found {value!r}")
    return value


def _reference_only(value: Any) -> Any:
    # Checked before the SecretRef parser, whose own message would echo the text: a literal
    # password typed into the inventory must never reach a terminal or a CI log.
    if isinstance(value, str) and not _REFERENCE.match(value):
        raise PydanticCustomError(
            "secret_literal",
            "expected a secret reference such as env:NAME, file:PATH or prompt;"
            " passwords are never written in the inventory",
        )
    return value


def _not_generated(value: Any) -> Any:
    if isinstance(value, GenerateSource):
        raise ValueError(
            "an existing account's password must be read (env:NAME, file:PATH or prompt);"
            " 'generate' makes a new password, which no account has yet"
        )
    return value


VarName = Annotated[str, AfterValidator(_var_name)]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]
WsmanPath = Annotated[str, Field(pattern=r"^/[^\s?#]*$")]
Address = Annotated[str, BeforeValidator(_address), Field(min_length=1)]
CertValidation = Annotated[bool | str, BeforeValidator(_cert_validation)]
ProxyUrl = Annotated[str, BeforeValidator(_proxy)]
Timeout = Annotated[Duration, AfterValidator(_positive), BeforeValidator(_bounded)]
Password = Annotated[
    SecretRef, AfterValidator(_not_generated), BeforeValidator(_reference_only), SECRET_FIELD
]


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Settings(_Node):
    """What every level (all, group, host) may set; None means "not set here"."""

    scheme: SchemeName | None = None
    port: Port | None = None
    path: WsmanPath | None = None
    auth: AuthName | None = None
    cert_validation: CertValidation | None = None
    credential: str | None = Field(None, min_length=1)
    connection_timeout: Timeout | None = None
    read_timeout: Timeout | None = None
    operation_timeout: Timeout | None = None
    encryption: EncryptionName | None = None
    allow_basic_over_http: Annotated[bool, Strict()] | None = None
    proxy: ProxyUrl | None = None
    kerberos_hostname: Address | None = None
    vars: dict[VarName, Any] | None = None
    roles: list[RoleName] | None = None


class HostSpec(Settings):
    """One place a host is written."""

    address: Address | None = None


class GroupSpec(Settings):
    """One place a group is written (hosts and children are walked separately)."""

    hosts: dict[Any, Any] | None = None
    children: dict[Any, Any] | None = None


class CredentialSpec(_Node):
    """A named account: its user name and where its password is read from."""

    username: str = Field(min_length=1)
    password: Password


class KerberosSpec(_Node):
    """The Kerberos configuration the command uses (one per process: the library reads it
    from KRB5_CONFIG), when it is not the system's (/etc/krb5.conf): a lab's, a test realm's."""

    config: str = Field(min_length=1)


class InventoryFile(_Node):
    """The top level: credentials, Kerberos and the `all` group."""

    credentials: dict[Any, Any] | None = None
    kerberos: KerberosSpec | None = None
    all: dict[Any, Any]


CONNECTION_KEYS: tuple[str, ...] = (
    "scheme",
    "port",
    "path",
    "auth",
    "cert_validation",
    "credential",
    "connection_timeout",
    "read_timeout",
    "operation_timeout",
    "encryption",
    "allow_basic_over_http",
    "proxy",
    "kerberos_hostname",
)
