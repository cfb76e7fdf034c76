"""The NTLM/Negotiate acceptor: pyspnego, fed per-host credentials that follow the domain.

pyspnego's acceptor checks a password against the file named by the NTLM_USER_FILE environment
variable, which it re-reads on every AUTHENTICATE. The variable is process-global and each lab
host has its own accounts (and local passwords), so:

- each host has its own file, rewritten atomically (temp file + rename) whenever
  `backend.accounts(host)` differs from what was last written: a password set by New-ADUser or
  Set-ADAccountPassword takes effect at the next logon;
- every acceptor step runs under one process-wide lock with NTLM_USER_FILE pointing at that
  host's file. A step takes well under a millisecond; sealing and unsealing never take the lock.

Files hold NT hashes (smbpasswd format), never clear text, in a 0700 directory.
"""

from __future__ import annotations

import os
import struct
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spnego
from spnego.channel_bindings import GssChannelBindings

from orchestrator.lab.contract import Account, LabBackend
from orchestrator.lab.http.md4 import nt_hash

_ENV = "NTLM_USER_FILE"
_ENV_LOCK = threading.Lock()  # guards NTLM_USER_FILE for every acceptor in the process
_SIGNATURE = b"NTLMSSP\x00\x03\x00\x00\x00"  # an AUTHENTICATE message ([MS-NLMP] 2.2.1.3)
_UNICODE = 0x00000001
_NO_LM = "0" * 32  # LM hashes are never used: pypsrp and requests_ntlm send NTLMv2


def authenticate_user(token: bytes) -> str | None:
    """The user an NTLM AUTHENTICATE names, raw or inside SPNEGO: "DOMAIN\\user" or "user"."""
    start = token.find(_SIGNATURE)
    if start < 0 or len(token) < start + 64:
        return None
    message = token[start:]
    (flags,) = struct.unpack_from("<I", message, 60)
    encoding = "utf-16-le" if flags & _UNICODE else "latin-1"
    domain = _field(message, 28, encoding)
    user = _field(message, 36, encoding)
    if not user:
        return None  # anonymous: there is no account to count against
    return f"{domain}\\{user}" if domain else user


def _field(message: bytes, at: int, encoding: str) -> str | None:
    length, _, offset = struct.unpack_from("<HHI", message, at)
    if offset + length > len(message):
        return None
    return message[offset : offset + length].decode(encoding, errors="replace")


def credential_lines(host: str, accounts: Sequence[Account]) -> list[str]:
    """smbpasswd lines: DOMAIN\\user, plus the bare and `.\\` forms (resolved locally first)."""
    lines: list[str] = []
    bare: set[str] = set()
    for account in accounts:
        if ":" in account.username or "\n" in account.username:
            continue  # cannot be written in this format; NTLM logon for it fails
        digest = nt_hash(account.password).hex().upper()
        names = [f"{account.domain}\\{account.username}"]
        if account.username.lower() not in bare:
            bare.add(account.username.lower())
            names.append(account.username)
        if account.domain.lower() in (host.lower(), host.split(".", maxsplit=1)[0].lower()):
            names.append(f".\\{account.username}")
        lines += [f"{name}:0:{_NO_LM}:{digest}:[U]:LCT-00000000" for name in names]
    return lines


class CredentialStore:
    """One credential file per host, kept in step with the domain's accounts."""

    def __init__(self, backend: LabBackend, directory: Path) -> None:
        self._backend = backend
        self._directory = directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._written: dict[str, tuple[tuple[Account, ...], str]] = {}

    def path(self, host: str, *, refresh: bool) -> str:
        """The host's file, rewritten first if `refresh` and the accounts changed."""
        with self._lock:
            known = self._written.get(host)
            if known is not None and not refresh:
                return known[1]
            accounts = tuple(self._backend.accounts(host))
            if known is not None and known[0] == accounts:
                return known[1]
            path = self._write(host, accounts)
            self._written[host] = (accounts, path)
            return path

    def _write(self, host: str, accounts: tuple[Account, ...]) -> str:
        known = self._written.get(host)
        target = Path(known[1]) if known else self._directory / f"{len(self._written):06d}.ntlm"
        text = "\n".join(credential_lines(host, accounts)) + "\n"
        fd, temp = tempfile.mkstemp(dir=self._directory, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(temp).replace(target)  # atomic: a concurrent reader sees the old or the new file
        return str(target)


# The services a Windows host's own key answers for: its computer account holds HOST/<fqdn>, and
# AD maps HTTP (WinRM's) onto HOST (sPNMappings); pypsrp asks for host/<name> unless told
# otherwise (negotiate_service), the orchestrator's transport too.
KERBEROS_SERVICES = ("HTTP", "host")


def host_fqdn(host: str, dns_root: str) -> str:
    """`<host>.<dns domain>` in lower case, the host part of its service principal names."""
    fqdn = host.lower().rstrip(".")
    domain = dns_root.lower().strip(".")
    return fqdn if fqdn.endswith("." + domain) else f"{fqdn}.{domain}"


class NegotiateAcceptor:
    """Creates and steps pyspnego acceptor contexts for one lab's hosts.

    With `kerberos_domain` set (a Kerberos lab, KRB5_KTNAME naming its keytab) a context also
    accepts Kerberos, raw or inside SPNEGO, but only a ticket for one of this host's own service
    principals (HTTP/ or host/<fqdn>): the keytab holds every host's keys, a Windows host only
    its own, so a ticket for another host is refused once the acceptor has read it.
    """

    def __init__(
        self,
        store: CredentialStore,
        channel_binding: bytes | None,
        kerberos_domain: str | None = None,
    ) -> None:
        self._store = store
        self._bindings = (
            GssChannelBindings(application_data=channel_binding) if channel_binding else None
        )
        self._kerberos_domain = kerberos_domain

    @property
    def offers_kerberos(self) -> bool:
        """Whether this acceptor takes Kerberos tickets."""
        return self._kerberos_domain is not None

    def new_context(self, host: str) -> Any:
        """A fresh acceptor context (Negotiate, which also takes raw NTLM or Kerberos tokens)."""
        with self._env(host, refresh=False):
            return spnego.server(
                protocol="negotiate",
                channel_bindings=self._bindings,
                options=spnego.NegotiateOptions.use_negotiate,
            )

    def step(self, host: str, context: Any, token: bytes) -> bytes | None:
        """One step; an AUTHENTICATE is checked against the host's current passwords."""
        refresh = token.find(_SIGNATURE) >= 0
        with self._env(host, refresh=refresh):
            out: bytes | None = context.step(token)
        if self._kerberos_domain is not None and context.complete:
            self._check_ticket_target(host, self._kerberos_domain, context)
        return out

    @staticmethod
    def _check_ticket_target(host: str, dns_root: str, context: Any) -> None:
        """ValueError when a Kerberos ticket names another host's service. pyspnego exposes no
        acceptor name, so it is read from the gssapi context under its Kerberos context."""
        inner = getattr(context, "_context", context)  # SPNEGO -> the chosen mechanism's
        if getattr(inner, "negotiated_protocol", None) != "kerberos":
            return
        target = str(getattr(getattr(inner, "_context", None), "target_name", "") or "")
        service, _, rest = target.partition("/")
        fqdn = rest.partition("@")[0].lower()
        if service not in KERBEROS_SERVICES or fqdn != host_fqdn(host, dns_root):
            raise ValueError(f"a Kerberos ticket for {target or 'an unknown service'}")

    def _env(self, host: str, *, refresh: bool) -> _EnvFile:
        return _EnvFile(self._store.path(host, refresh=refresh))


class _EnvFile:
    """Hold the process-wide lock with NTLM_USER_FILE pointing at one file."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __enter__(self) -> None:
        _ENV_LOCK.acquire()
        os.environ[_ENV] = self._path

    def __exit__(self, *exc: object) -> None:
        _ENV_LOCK.release()


def release(directory: Path) -> None:
    """Unset NTLM_USER_FILE if it points into a lab's directory that is going away."""
    with _ENV_LOCK:
        current = os.environ.get(_ENV, "")
        if current and Path(current).is_relative_to(directory):
            del os.environ[_ENV]
