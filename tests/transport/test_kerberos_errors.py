"""A KDC's refusal, as the Kerberos client libraries raise it out of a pypsrp call, becomes
our error with what to do (orchestrator/transport/psrp/kerberos.py)."""

from __future__ import annotations

import krb5
import pytest

from orchestrator.errors import AuthError, TransientError, TransportError
from orchestrator.transport.psrp import kerberos
from orchestrator.transport.psrp.errors import translate

CONTEXT = krb5.init_context()


def _krb5_error(code: int) -> krb5.Krb5Error:
    """The exception krb5 raises when a ticket asked for with a password is refused."""
    return krb5.Krb5Error(CONTEXT, code)


class _GssError(Exception):
    """gssapi's GSSError as far as it matters here: the mechanism's minor code, unsigned."""

    def __init__(self, min_code: int) -> None:
        super().__init__("Unspecified GSS failure")
        self.min_code = min_code


class _SpnegoError(Exception):
    """pyspnego's SpnegoError wrapping a GSSAPI error."""

    def __init__(self, base_error: BaseException) -> None:
        super().__init__("SpnegoError (1): Unspecified GSS failure")
        self.base_error = base_error


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (kerberos.PREAUTH_FAILED, "refused the password"),
        (kerberos.CLIENT_REVOKED, "locked out or disabled"),
        (kerberos.C_PRINCIPAL_UNKNOWN, "does not know the user"),
        (kerberos.KEY_EXPIRED, "password has expired"),
        (kerberos.CLOCK_SKEW, "clock"),
        (kerberos.KDC_UNREACHABLE, "no KDC of the realm answered"),
        (kerberos.REALM_UNKNOWN, "no KDC is known"),
        (kerberos.TICKET_EXPIRED, "kinit"),
        (kerberos.NO_TICKET_CACHE, "no Kerberos ticket cache"),
        (kerberos.NO_MATCHING_TICKET, "no ticket for this user"),
    ],
)
def test_a_refusal_about_the_credential_is_an_auth_error_with_what_to_do(
    code: int, says: str
) -> None:
    """Never retried (not transient), the breaker stops the credential: an AuthError."""
    error = translate(_krb5_error(code), "cap1")
    assert type(error) is AuthError
    assert not isinstance(error, TransientError)
    assert str(error).startswith("cap1: Kerberos: ")
    assert says in str(error)
    assert str(error).count(": ") >= 3  # what happened, then what to do
    assert error.where is not None
    assert error.where.host == "cap1"


def test_an_unknown_service_principal_fails_the_host_not_the_credential() -> None:
    error = translate(_krb5_error(kerberos.S_PRINCIPAL_UNKNOWN), "cap1")
    assert type(error) is TransportError
    assert "SPN" in str(error)
    assert "kerberos_hostname" in str(error)


def test_a_gssapi_minor_code_is_read_unsigned_and_through_pyspnego_and_causes() -> None:
    """The service ticket's refusal comes as GSSAPI's unsigned minor code, wrapped by pyspnego,
    and may sit in the chain of what pypsrp raised."""
    unsigned = kerberos.CLOCK_SKEW + (1 << 32)
    wrapped = _SpnegoError(_GssError(unsigned))
    assert kerberos.kerberos_code(wrapped) == kerberos.CLOCK_SKEW
    outer = RuntimeError("while authenticating")
    outer.__cause__ = wrapped
    assert isinstance(translate(outer, "cap1"), AuthError)


def test_other_errors_are_not_taken_for_kerberos() -> None:
    """No code, or a code outside the table: the usual translation."""
    assert kerberos.kerberos_code(ValueError("x")) is None
    assert kerberos.kerberos_code(_GssError(12345)) is None
    error = translate(KeyError("ShellId"), "cap1")
    assert not isinstance(error, AuthError)
    assert "Kerberos" not in str(error)
