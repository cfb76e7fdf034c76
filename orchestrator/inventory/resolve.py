"""Resolve each host once: layer `all`, its groups and itself, keeping every value's origin.

Precedence, lowest to highest: `all` < groups by depth below `all`, then by name (later
wins, as Ansible) < the host itself. A whole value is replaced, never merged (a mapping in
a host's vars replaces the group's mapping, as Ansible's default `hash_behaviour=replace`).
Roles are not overridden but add up over every level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from orchestrator.durations import format_duration
from orchestrator.errors import Problem
from orchestrator.inventory.merge import Layer, Setting
from orchestrator.inventory.model import (
    DEFAULT,
    DEFAULT_PORTS,
    Auth,
    Connection,
    Encryption,
    Host,
    Origin,
    Role,
    Scheme,
)
from orchestrator.inventory.schema import CONNECTION_KEYS
from orchestrator.yamlsource import format_path

_CONVERT: Mapping[str, Callable[[Any, Path], Any]] = {
    "scheme": lambda value, _base: Scheme(value),
    "auth": lambda value, _base: Auth(value),
    "encryption": lambda value, _base: Encryption(value),
    # a CA bundle path is read relative to the inventory, like file: secrets
    "cert_validation": lambda value, base: value if isinstance(value, bool) else base / value,
}


def _as_is(value: Any, _base: Path) -> Any:
    return value


@dataclass(frozen=True)
class Resolved:
    """A host and the settings it was resolved from (for the checks that follow)."""

    host: Host
    settings: Mapping[str, Setting]
    base_dir: Path = Path()  # where the inventory's relative paths are read from


def resolve_host(
    name: str, layers: Sequence[Layer], groups: tuple[str, ...], base_dir: Path
) -> Resolved:
    """The host from its layers, given lowest precedence first."""
    merged: dict[str, Setting] = {}
    roles: dict[Role, Setting] = {}
    for layer in layers:
        merged.update(layer.settings)
        roles.update(layer.roles)
    connection, origins = _connection(merged, base_dir)
    address = merged.get("address", Setting(name, (), DEFAULT))
    variables = {key[5:]: s for key, s in merged.items() if key.startswith("vars.")}
    origins["address"] = address.origin
    origins.update({f"roles.{r.value}": s.origin for r, s in roles.items()})
    origins.update({f"vars.{k}": s.origin for k, s in variables.items()})
    host = Host(
        name,
        address.value,
        connection,
        frozenset(roles),
        groups,
        {k: s.value for k, s in variables.items()},
        origins,
    )
    return Resolved(host, merged, base_dir)


def _connection(
    merged: Mapping[str, Setting], base_dir: Path
) -> tuple[Connection, dict[str, Origin]]:
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for key in CONNECTION_KEYS:
        setting = merged.get(key)
        origins[key] = setting.origin if setting else DEFAULT
        if setting is not None:
            convert = _CONVERT.get(key, _as_is)
            values[key] = convert(setting.value, base_dir)
    if "port" not in values:
        scheme = values.get("scheme", Scheme.HTTPS)
        values["port"] = DEFAULT_PORTS[scheme]
        origins["port"] = Origin(None, f"default for {scheme.value}")
    return Connection(**values), origins


# --- checks on a resolved host ---------------------------------------------------------------


def check_hosts(resolved: Sequence[Resolved]) -> list[Problem]:
    """Unusable connection settings, once per place they were set, naming the hosts hit."""
    affected: dict[Problem, list[str]] = {}
    for one in resolved:
        for rule in _RULES:
            problem = rule(one)
            if problem is not None:
                affected.setdefault(problem, []).append(one.host.name)
    return [replace(p, message=f"{_hosts(names)}: {p.message}") for p, names in affected.items()]


def _hosts(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"host {shown}" if len(names) == 1 else f"hosts {shown}{more}"


def _at(resolved: Resolved, keys: Sequence[str], message: str, hint: str) -> Problem:
    """A problem at the most specific place one of `keys` was set."""
    set_here = [resolved.settings[k] for k in keys if k in resolved.settings]
    setting = set_here[0] if set_here else None
    where = setting.origin.location if setting else None
    field = format_path(setting.path) if setting else f"hosts.{resolved.host.name}"
    return Problem(where, field, message, hint)


def _timeouts(resolved: Resolved) -> Problem | None:
    host = resolved.host
    conn = host.connection
    if conn.read_timeout > conn.operation_timeout:
        return None
    return _at(
        resolved,
        ("read_timeout", "operation_timeout"),
        f"read_timeout ({format_duration(conn.read_timeout)},"
        f" {host.origin('read_timeout')}) must be longer than operation_timeout"
        f" ({format_duration(conn.operation_timeout)}, {host.origin('operation_timeout')})",
        "pypsrp waits read_timeout for an answer the server may hold back for"
        " operation_timeout; e.g. operation_timeout: 20s, read_timeout: 30s",
    )


def _certificate_over_http(resolved: Resolved) -> Problem | None:
    conn = resolved.host.connection
    if conn.auth is not Auth.CERTIFICATE or conn.scheme is not Scheme.HTTP:
        return None
    return _at(
        resolved,
        ("auth", "scheme"),
        "certificate authentication needs scheme https",
        "set scheme: https, or choose another auth",
    )


# pypsrp 0.9.1 (wsman.py, _TransportHTTP.__init__) wraps messages only with these auths,
# and wraps them over http unless `encryption: never`, over https only with `always`; it
# raises "Cannot use message encryption with auth ..." for any other auth that would wrap.
_ENCRYPTING = (Auth.NEGOTIATE, Auth.NTLM, Auth.KERBEROS, Auth.CREDSSP)
_ENCRYPTING_TEXT = "negotiate, ntlm, kerberos, credssp"
_CERT_VARS = ("certificate_pem", "certificate_key_pem")


def _encryption_impossible(resolved: Resolved) -> Problem | None:
    conn = resolved.host.connection
    if conn.encryption is not Encryption.ALWAYS or conn.auth in _ENCRYPTING:
        return None
    if conn.auth is Auth.CERTIFICATE and conn.scheme is Scheme.HTTP:
        return None  # _certificate_over_http says what to fix first
    over_http = conn.scheme is Scheme.HTTP
    return _at(
        resolved,
        ("encryption", "auth", "scheme"),
        f"encryption: always over {conn.scheme.value} needs an auth that encrypts messages"
        f" ({_ENCRYPTING_TEXT}), not {conn.auth.value}",
        "use scheme: https, or auth: negotiate"
        if over_http
        else "TLS encrypts every message already: leave encryption at auto, or use auth: negotiate",
    )


def _basic_over_http(resolved: Resolved) -> Problem | None:
    conn = resolved.host.connection
    if not (
        conn.auth is Auth.BASIC
        and conn.scheme is Scheme.HTTP
        and conn.encryption is not Encryption.ALWAYS  # _encryption_impossible's
    ):
        return None
    if not conn.allow_basic_over_http:
        return _at(
            resolved,
            ("auth", "scheme"),
            "auth basic over http sends the password and every command unencrypted"
            " (basic cannot encrypt messages)",
            "use scheme: https; or auth: negotiate, ntlm, kerberos or credssp, which encrypt"
            " messages over http; or, on a lab or an isolated network only, set"
            " allow_basic_over_http: true with encryption: never",
        )
    if conn.encryption is Encryption.NEVER:
        return None
    return _at(
        resolved,
        ("encryption", "allow_basic_over_http", "auth"),
        "allow_basic_over_http needs encryption: never: over http pypsrp encrypts every"
        " message unless told never, and basic cannot",
        "set encryption: never beside allow_basic_over_http: true",
    )


def _unencrypted_http(resolved: Resolved) -> Problem | None:
    conn = resolved.host.connection
    if not (
        conn.encryption is Encryption.NEVER
        and conn.scheme is Scheme.HTTP
        and conn.auth in _ENCRYPTING
    ):
        return None
    return _at(
        resolved,
        ("encryption", "scheme"),
        "encryption: never over http sends every command and its output unencrypted; Windows"
        " refuses that unless its WinRM service allows unencrypted traffic (AllowUnencrypted)",
        f"remove encryption: never ({conn.auth.value} encrypts messages over http),"
        " or use scheme: https",
    )


def _ca_bundle(resolved: Resolved) -> Problem | None:
    bundle = resolved.host.connection.cert_validation
    if isinstance(bundle, bool) or bundle.is_file():
        return None
    return _at(
        resolved,
        ("cert_validation",),
        f"cert_validation: the CA bundle {bundle} is not a file",
        "give the path of a PEM CA bundle, relative to the inventory, or true for the system's CAs",
    )


def _certificate_files(resolved: Resolved) -> Problem | None:
    host = resolved.host
    if host.connection.auth is not Auth.CERTIFICATE or host.connection.scheme is Scheme.HTTP:
        return None
    issues = [_cert_file_issue(host, name, resolved.base_dir) for name in _CERT_VARS]
    wrong = [issue for issue in issues if issue]
    if not wrong:
        return None
    return _at(
        resolved,
        (*(f"vars.{name}" for name in _CERT_VARS), "auth"),
        f"auth certificate needs its client certificate: {'; '.join(wrong)}",
        "set host vars certificate_pem and certificate_key_pem to the PEM files,"
        " relative to the inventory",
    )


def _cert_file_issue(host: Host, name: str, base_dir: Path) -> str:
    value = host.vars.get(name)
    if not isinstance(value, str) or not value:
        return f"{name} is not set"
    if not (base_dir / value).is_file():
        return f"{name} {base_dir / value} is not a file"
    return ""


_RULES: tuple[Callable[[Resolved], Problem | None], ...] = (
    _timeouts,
    _certificate_over_http,
    _encryption_impossible,
    _basic_over_http,
    _unencrypted_http,
    _ca_bundle,
    _certificate_files,
)
