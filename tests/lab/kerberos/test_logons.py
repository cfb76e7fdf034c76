"""Kerberos logons against the lab's real KDC: pyspnego on both ends, a password, a keytab."""

from __future__ import annotations

import krb5
import pytest

from orchestrator.lab.contract import SecureString
from orchestrator.lab.kerberos import Kdc

from .conftest import THRESHOLD, User, logon, password

pytestmark = pytest.mark.usefixtures("realm_environment")

# MIT's error codes (krb5 com_err table), as the client library raises them
PREAUTH_FAILED = -1765328360  # KDC_ERR_PREAUTH_FAILED: wrong password
CLIENT_REVOKED = -1765328366  # KDC_ERR_CLIENT_REVOKED: locked out or disabled
CLIENT_UNKNOWN = -1765328378  # KDC_ERR_C_PRINCIPAL_UNKNOWN: no such principal


def refusal(name: str, secret: SecureString) -> int:
    """The Kerberos error code of a logon that must fail."""
    with pytest.raises(krb5.Krb5Error) as caught:
        logon(name, secret)
    return caught.value.err_code


def failures(kdc: Kdc, user: User) -> int:
    """The KDC's failed pre-authentication count for the user."""
    state = kdc.state(user.name)
    assert state is not None
    return state.failed_attempts


def test_a_password_logon_gets_a_ticket_the_acceptor_accepts_and_messages_wrap_both_ways(
    user: User,
) -> None:
    """A client with only a password gets a ticket for HTTP/wks001.contoso.com, the acceptor
    with the exported keytab completes the exchange, and each side unwraps the other's messages."""
    session = logon(user.name, user.password)

    assert session.server.client_principal == f"{user.name}@CONTOSO.COM"
    sealed = session.client.wrap(b"from the client", encrypt=True)
    assert session.server.unwrap(sealed.data).data == b"from the client"
    sealed = session.server.wrap(b"from the server", encrypt=True)
    assert session.client.unwrap(sealed.data).data == b"from the server"


def test_a_successful_logon_is_recorded_and_counts_no_failure(kdc: Kdc, user: User) -> None:
    """A good logon leaves the failure count at 0 and a last-success time on the principal."""
    logon(user.name, user.password)

    state = kdc.state(user.name)
    assert state is not None
    assert (state.failed_attempts, state.locked) == (0, False)
    assert state.last_success is not None


def test_a_wrong_password_fails_and_counts_exactly_one_failure(kdc: Kdc, user: User) -> None:
    """One wrong password: pre-authentication failed, and the KDC's count goes from 0 to 1."""
    assert failures(kdc, user) == 0

    assert refusal(user.name, password("wrong")) == PREAUTH_FAILED

    assert failures(kdc, user) == 1


def test_threshold_failures_lock_the_account_even_against_the_right_password(
    kdc: Kdc, user: User
) -> None:
    """After `threshold` wrong passwords the principal is locked, and the right one is refused."""
    for _ in range(THRESHOLD):
        assert refusal(user.name, password("wrong")) == PREAUTH_FAILED

    state = kdc.state(user.name)
    assert state is not None
    assert (state.failed_attempts, state.locked) == (THRESHOLD, True)
    assert refusal(user.name, user.password) == CLIENT_REVOKED
    assert failures(kdc, user) == THRESHOLD  # a locked account's attempts are not counted


def test_unlock_lets_a_locked_account_log_on_again(kdc: Kdc, user: User) -> None:
    """modify_principal -unlock clears the lockout and the count; the right password works."""
    for _ in range(THRESHOLD):
        refusal(user.name, password("wrong"))

    kdc.unlock(user.name)

    state = kdc.state(user.name)
    assert state is not None
    assert (state.failed_attempts, state.locked) == (0, False)
    logon(user.name, user.password)


def test_an_account_outside_the_lockout_policy_never_locks(kdc: Kdc) -> None:
    """A principal added with locks_out=False (AD's RID 500) stays usable after many failures."""
    secret = password()
    kdc.add_user("administrator", secret, locks_out=False)
    for _ in range(THRESHOLD + 1):
        refusal("administrator", password("wrong"))

    state = kdc.state("administrator")
    assert state is not None
    assert (state.policy, state.locked) == (None, False)
    logon("administrator", secret)


def test_a_disabled_principal_is_refused_until_enabled(kdc: Kdc, user: User) -> None:
    """-allow_tix refuses the right password; +allow_tix lets it log on again."""
    kdc.disable(user.name)

    state = kdc.state(user.name)
    assert state is not None
    assert state.allows_tickets is False
    assert refusal(user.name, user.password) == CLIENT_REVOKED

    kdc.enable(user.name)
    logon(user.name, user.password)


def test_a_wrong_password_on_a_disabled_principal_is_not_counted(kdc: Kdc, user: User) -> None:
    """MIT refuses a disabled principal before pre-authentication: nothing counts (AD counts)."""
    kdc.disable(user.name)

    assert refusal(user.name, password("wrong")) == CLIENT_REVOKED

    assert failures(kdc, user) == 0


def test_principal_names_are_case_sensitive(kdc: Kdc, user: User) -> None:
    """MIT matches names exactly (AD does not): the upper-cased name is an unknown client."""
    assert refusal(user.name.upper(), user.password) == CLIENT_UNKNOWN


def test_a_deleted_principal_is_unknown(kdc: Kdc, user: User) -> None:
    """After delete the KDC does not know the name: no state, and a logon is 'client unknown'."""
    kdc.delete(user.name)

    assert kdc.state(user.name) is None
    assert refusal(user.name, user.password) == CLIENT_UNKNOWN


def test_a_password_set_through_the_kdc_works_and_the_old_one_no_longer_does(
    kdc: Kdc, user: User
) -> None:
    """change_password: the new password logs on, the old one fails pre-authentication."""
    new = password("new")

    kdc.set_password(user.name, new)

    logon(user.name, new)
    assert refusal(user.name, user.password) == PREAUTH_FAILED


@pytest.mark.parametrize(
    "awkward",
    [
        "!starts with a bang, \"quoted\", 'single'",
        '"',
        '""',
        "ends with a backslash \\",
        "# not a comment; $(id) `id` && | > <",
        "tabs\tand  double  spaces ",
        "ünïcødé ✓ パスワード",
    ],
)
def test_awkward_passwords_reach_the_kdc_unchanged(kdc: Kdc, user: User, awkward: str) -> None:
    """kadmin's quoting keeps blanks, quotes, '!', '#', backslashes and Unicode as they are."""
    exact = SecureString(awkward)

    kdc.set_password(user.name, exact)

    logon(user.name, exact)
