"""Authenticating a request as Windows does: Basic per request, Negotiate/NTLM per connection.

Every failed logon goes to the backend so the domain's lockout policy counts it: Basic through
`authenticate` (it sees the password), NTLM/Negotiate through `record_logon` with the user named
in the AUTHENTICATE message. A successful NTLM logon is also reported, so a locked or disabled
account gets 401 even with the right password (a locked-out account cannot be used until it
is unlocked: "Account lockout threshold", Microsoft Learn). The user string is passed as the
client sent it: "DOMAIN\\user", "user", ".\\user" or "user@domain".

Kerberos (a lab started with a KDC): the ticket comes under `Negotiate` (SPNEGO, or a raw
Kerberos token as pypsrp's auth="kerberos" sends it) or under the `Kerberos` scheme; the logged-on
user is the ticket's client principal (`alice@CONTOSO.COM`), reported to the backend like an NTLM
logon. A wrong password never reaches the endpoint: the KDC refused the ticket and counted it.
Message encryption names the scheme's protocol (pypsrp's WinRMEncryption.KERBEROS after the
`Kerberos` scheme, SPNEGO otherwise), and the AP-REP for mutual authentication goes back in the
200's WWW-Authenticate under the scheme the client used (RFC 4559, section 4).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal

from pypsrp.encryption import WinRMEncryption
from spnego.exceptions import BadBindingsError, SpnegoError

from orchestrator.lab.contract import AuthOutcome, LabBackend
from orchestrator.lab.http import ntlm
from orchestrator.lab.http.counters import Counters

CHALLENGE = (("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", 'Basic realm="WSMAN"'))
# A domain member with Kerberos enabled (WinRM's Auth/Kerberos, on by default) offers it too
KERBEROS_CHALLENGE = (CHALLENGE[0], ("WWW-Authenticate", "Kerberos"), CHALLENGE[1])
# What a Kerberos acceptor raises on a bad ticket (wrong service key, replay, skew ...); pyspnego
# 0.12 lets some through unwrapped (an AttributeError reading flags of a failed context)
_TOKEN_ERRORS = (SpnegoError, ValueError, KeyError, IndexError, AttributeError)


@dataclass
class NegotiateSession:
    """One connection's security context, bound to the host it authenticated to."""

    host: str
    context: Any
    user: str = ""
    encryption: WinRMEncryption | None = None
    scheme: str = "Negotiate"  # the Authorization scheme the client used: Negotiate or Kerberos


@dataclass(frozen=True)
class AuthStep:
    """The outcome of one Authorization header."""

    status: Literal["ok", "continue", "denied"]
    user: str = ""
    token: bytes | None = None  # goes back in WWW-Authenticate (challenge, or SPNEGO mechListMIC)


_DENIED = AuthStep("denied")


class Authenticator:
    """Basic and Negotiate/NTLM logons against the lab's backend."""

    def __init__(
        self, backend: LabBackend, counters: Counters, acceptor: ntlm.NegotiateAcceptor
    ) -> None:
        self._backend = backend
        self._counters = counters
        self._acceptor = acceptor

    def basic(self, host: str, credentials: str) -> AuthStep:
        """Check "user:password" with the backend, which applies the lockout policy."""
        try:
            text = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return _DENIED
        user, sep, password = _decode(text).partition(":")
        if not sep or not user:
            return _DENIED
        if self._backend.authenticate(host, user, password) is AuthOutcome.OK:
            return AuthStep("ok", user)
        self._counters.auth_failure(user)
        return _DENIED

    @property
    def offers_kerberos(self) -> bool:
        """Whether the `Kerberos` scheme is accepted (a lab with a KDC)."""
        return self._acceptor.offers_kerberos

    @property
    def challenge(self) -> tuple[tuple[str, str], ...]:
        """The WWW-Authenticate headers of a 401: Negotiate (and Kerberos) and Basic."""
        return KERBEROS_CHALLENGE if self._acceptor.offers_kerberos else CHALLENGE

    def negotiate(self, session: NegotiateSession, token: bytes) -> AuthStep:
        """Step the connection's context; report the logon once the AUTHENTICATE (NTLM) or the
        ticket (Kerberos) is checked."""
        user = ntlm.authenticate_user(token)
        try:
            out = self._acceptor.step(session.host, session.context, token)
        except BadBindingsError:
            # Checked before the password, which may well be right: not a bad-password logon.
            self._counters.auth_failure(user or "")
            return _DENIED
        except _TOKEN_ERRORS:
            return self._failed(session.host, user)
        if not session.context.complete:
            return AuthStep("continue", token=out)
        user = user or str(session.context.client_principal or "")
        if self._backend.record_logon(session.host, user, password_ok=True) is not AuthOutcome.OK:
            self._counters.auth_failure(user)
            return _DENIED
        session.user = user
        session.encryption = WinRMEncryption(session.context, _protocol(session.scheme))
        return AuthStep("ok", user, out)

    def new_session(self, host: str, scheme: str = "Negotiate") -> NegotiateSession:
        """A fresh acceptor context for a connection's first (or renewed) Negotiate leg."""
        return NegotiateSession(host, self._acceptor.new_context(host), scheme=scheme)

    def _failed(self, host: str, user: str | None) -> AuthStep:
        if user is not None:
            self._backend.record_logon(host, user, password_ok=False)
            self._counters.auth_failure(user)
        return _DENIED


def _protocol(scheme: str) -> str:
    """The multipart/encrypted protocol of a context: pypsrp (wsman.py) labels a context set up
    with the `Kerberos` scheme HTTP-Kerberos-session-encrypted, any other HTTP-SPNEGO-...."""
    if scheme.lower() == "kerberos":
        return WinRMEncryption.KERBEROS
    return WinRMEncryption.SPNEGO


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # requests encodes Basic credentials as latin-1
