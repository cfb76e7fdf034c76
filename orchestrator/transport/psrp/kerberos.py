"""Kerberos failures, told apart by the KDC's answer, each with what to do about it.

pypsrp gets a Kerberos ticket inside its HTTP authentication (pyspnego, then gssapi or krb5):
a KDC's refusal comes out of a pypsrp call as the client library's own exception, not as an
HTTP 401. Two shapes carry the MIT error code (the com_err table of RFC 4120's KDC errors):
`krb5.Krb5Error.err_code` when the ticket is asked for with a password, and a GSSAPI error's
minor code (`base_error.min_code` of pyspnego's SpnegoError, or `min_code` of gssapi's own)
when the service ticket is asked for. Both are read without importing either library: they
are optional (the kerberos extra).

Every refusal about the credential or the realm is an AuthError: never retried (each try of a
wrong password counts toward the account's lockout, as in AD) and the breaker stops the
credential on every host. A service principal the KDC does not know is the host's own
problem (its SPN), so it fails that host only.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.errors import AuthError, TransportError, Where

_BASE = -1765328384  # ERROR_TABLE_BASE_krb5: the MIT codes below are this plus RFC 4120's
C_PRINCIPAL_UNKNOWN = _BASE + 6  # KDC_ERR_C_PRINCIPAL_UNKNOWN
S_PRINCIPAL_UNKNOWN = _BASE + 7  # KDC_ERR_S_PRINCIPAL_UNKNOWN
CLIENT_REVOKED = _BASE + 18  # KDC_ERR_CLIENT_REVOKED: locked out or disabled
KEY_EXPIRED = _BASE + 23  # KDC_ERR_KEY_EXPIRED: the password has expired
PREAUTH_FAILED = _BASE + 24  # KDC_ERR_PREAUTH_FAILED: wrong password
TICKET_EXPIRED = _BASE + 32  # KRB_AP_ERR_TKT_EXPIRED: the ticket cache's ticket is too old
CLOCK_SKEW = _BASE + 37  # KRB_AP_ERR_SKEW
NO_MATCHING_TICKET = _BASE + 141  # KRB5_CC_NOTFOUND: the cache holds no ticket for the realm
NO_TICKET_CACHE = _BASE + 195  # KRB5_FCC_NOFILE: nobody has logged on (kinit) here
REALM_UNKNOWN = _BASE + 154  # KRB5_REALM_UNKNOWN: no KDC known for the realm
KDC_UNREACHABLE = _BASE + 156  # KRB5_KDC_UNREACH: no KDC of the realm answered


@dataclass(frozen=True)
class Refusal:
    """What the KDC's answer means, and what the operator can do."""

    what: str
    todo: str
    credential: bool = True  # about the credential or realm (every host), not one host


REFUSALS: dict[int, Refusal] = {
    PREAUTH_FAILED: Refusal(
        "the KDC refused the password (pre-authentication failed)",
        "check the credential's password; every try counts toward the account's lockout",
    ),
    CLIENT_REVOKED: Refusal(
        "the KDC refused the account: it is locked out or disabled",
        "unlock or enable it in the domain (Unlock-ADAccount, Enable-ADAccount), then run again",
    ),
    C_PRINCIPAL_UNKNOWN: Refusal(
        "the KDC does not know the user",
        "check the user name and its realm: user@REALM, the realm being the domain's DNS name"
        " in capitals",
    ),
    KEY_EXPIRED: Refusal(
        "the account's password has expired", "set a new password for it, then run again"
    ),
    CLOCK_SKEW: Refusal(
        "this machine's clock and the KDC's differ by more than the realm allows (5 minutes"
        " by default)",
        "synchronise this machine's clock with the domain's (NTP, or w32tm on Windows)",
    ),
    KDC_UNREACHABLE: Refusal(
        "no KDC of the realm answered",
        "check the network to the domain controllers (port 88) and the realm's kdc entries in"
        " krb5.conf",
    ),
    REALM_UNKNOWN: Refusal(
        "no KDC is known for the user's realm",
        "check the realm of the user name, or add the realm to krb5.conf ([realms], or"
        " dns_lookup_kdc = true)",
    ),
    TICKET_EXPIRED: Refusal(
        "the ticket in the operator's ticket cache has expired",
        "log on again (kinit user@REALM), or give the host a credential with a password",
    ),
    NO_TICKET_CACHE: Refusal(
        "there is no Kerberos ticket cache: nobody has logged on to the realm here",
        "log on first (kinit user@REALM), or give the host a credential with a password",
    ),
    NO_MATCHING_TICKET: Refusal(
        "the ticket cache holds no ticket for this user or realm",
        "log on to the host's realm first (kinit user@REALM), or give the host a credential",
    ),
    S_PRINCIPAL_UNKNOWN: Refusal(
        "the KDC knows no service principal (SPN) for this host's name",
        "connect by the name the host's HTTP/<name> SPN is registered under (the inventory's"
        " address or the host's kerberos_hostname), or register it (setspn -S)",
        credential=False,
    ),
}


def kerberos_code(exc: BaseException) -> int | None:
    """The MIT Kerberos error code an exception (or one it was raised from) carries."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for candidate in (current, getattr(current, "base_error", None)):
            for name in ("err_code", "min_code"):
                code = getattr(candidate, name, None)
                if isinstance(code, int) and _signed(code) in REFUSALS:
                    return _signed(code)
        current = current.__cause__ or current.__context__
    return None


def translate_kerberos(exc: BaseException, host: str) -> TransportError | None:
    """Our error for a Kerberos refusal raised while logging on to `host`; None otherwise."""
    code = kerberos_code(exc)
    if code is None:
        return None
    refusal = REFUSALS[code]
    message = f"{host}: Kerberos: {refusal.what}: {refusal.todo}"
    if not refusal.credential:
        return TransportError(message, where=Where(host=host))
    error = AuthError(message, where=Where(host=host))
    error.reason = f"Kerberos: {refusal.what}; {refusal.todo}"
    return error


def _signed(code: int) -> int:
    """GSSAPI gives minor codes as unsigned 32-bit numbers; MIT's table is signed."""
    return code - (1 << 32) if code >= 1 << 31 else code


# A refusal that a Negotiate logon must not follow with NTLM: the KDC has counted (or would
# count) the password, and NTLM would count it again at the domain controller.
_FINAL = frozenset({PREAUTH_FAILED, CLIENT_REVOKED, KEY_EXPIRED})
SERVICE = "host"  # pypsrp's default SPN service (HTTPNegotiateAuth), mapped to HTTP by AD


def kerberos_first(username: str, password: str, hostname: str) -> BaseException | None:
    """What Negotiate would hide: ask the KDC for a ticket with the password first, and return
    its refusal when it is about the credential (wrong password, locked or disabled, expired).

    pyspnego's Negotiate tries Kerberos, and on any failure falls back to NTLM silently: a
    wrong password would then be counted twice toward the account's lockout, once by the KDC
    and once by the domain controller's NTLM check. Other failures (no Kerberos here, an
    unknown principal such as DOMAIN\\user, no KDC, no SPN) return None: NTLM is then the
    logon, as Negotiate means."""
    try:
        import spnego  # the client pypsrp uses; Kerberos in it needs gssapi (the kerberos extra)

        context = spnego.client(
            username, password, hostname=hostname, service=SERVICE, protocol="kerberos"
        )
        context.step()
    except Exception as exc:  # noqa: BLE001 -- only a KDC's final refusal is kept
        return exc if kerberos_code(exc) in _FINAL else None
    return None
