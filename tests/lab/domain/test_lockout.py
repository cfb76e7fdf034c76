"""The lockout arithmetic of [MS-SAMR] 3.1.5.14.6 and the logon outcomes the protocol side gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import AuthOutcome, SecureString
from orchestrator.lab.domain import lockout
from orchestrator.lab.domain.accounts import UserAccount
from orchestrator.lab.domain.lockout import LockoutPolicy

ADMIN = "CONTOSO\\labadmin"
PASSWORD = "Lab-Operator-2000!"
T0 = datetime(2000, 1, 4, tzinfo=UTC)


def _user(rid: int = 1104) -> UserAccount:
    user = UserAccount("u", f"S-1-5-21-1-2-3-{rid}")
    user.password = SecureString("Current-1")
    user.history = [
        SecureString("Previous-1"),
        SecureString("Previous-2"),
        SecureString("Previous-3"),
    ]
    return user


def test_threshold_locks_and_the_right_password_then_fails(tb1: DomainBackend) -> None:
    """Five bad passwords (NT4 preset) lock the account; the right one then gets LOCKED too."""
    outcomes = [tb1.authenticate("DC1", ADMIN, "wrong") for _ in range(5)]
    assert outcomes == [AuthOutcome.BAD_PASSWORD] * 4 + [AuthOutcome.LOCKED]
    assert tb1.authenticate("DC1", ADMIN, PASSWORD) is AuthOutcome.LOCKED
    view = tb1.ad_account("labadmin")
    assert view is not None
    assert (view.locked_out, view.bad_pwd_count) == (True, 5)


def test_no_increment_while_locked(tb1: DomainBackend) -> None:
    """Attempts while locked do not count or move badPasswordTime."""
    for _ in range(5):
        tb1.authenticate("DC1", ADMIN, "wrong")
    before = tb1.ad_account("labadmin")
    tb1.advance(timedelta(minutes=1))
    tb1.authenticate("DC1", ADMIN, "wrong")
    after = tb1.ad_account("labadmin")
    assert before is not None
    assert after is not None
    assert (after.bad_pwd_count, after.bad_password_time) == (5, before.bad_password_time)


def test_duration_expires_and_success_resets(tb1: DomainBackend) -> None:
    """After the lockout duration the right password works and clears the counter."""
    for _ in range(5):
        tb1.authenticate("DC1", ADMIN, "wrong")
    tb1.advance(timedelta(minutes=29, seconds=59))
    assert tb1.authenticate("DC1", ADMIN, PASSWORD) is AuthOutcome.LOCKED
    tb1.advance(timedelta(seconds=1))
    assert tb1.authenticate("DC1", ADMIN, PASSWORD) is AuthOutcome.OK
    view = tb1.ad_account("labadmin")
    assert view is not None
    assert (view.bad_pwd_count, view.lockout_time) == (0, None)


def test_observation_window_restarts_the_count(tb1: DomainBackend) -> None:
    """A bad password after the observation window counts as the first again."""
    for _ in range(4):
        tb1.authenticate("DC1", ADMIN, "wrong")
    tb1.advance(timedelta(minutes=31))
    assert tb1.authenticate("DC1", ADMIN, "wrong") is AuthOutcome.BAD_PASSWORD
    assert tb1.ad_account("labadmin").bad_pwd_count == 1  # type: ignore[union-attr]


def test_rid_500_is_never_locked(tb1: DomainBackend) -> None:
    """The built-in Administrator is exempt from lockout (Local Accounts, Microsoft Learn)."""
    for _ in range(20):
        assert (
            tb1.authenticate("DC1", "CONTOSO\\Administrator", "wrong") is AuthOutcome.BAD_PASSWORD
        )
    assert tb1.authenticate("DC1", "CONTOSO\\Administrator", "Lab-Admin-2000!") is AuthOutcome.OK


def test_n2_exemption_in_the_modern_era(tb1_modern: DomainBackend) -> None:
    """Modern: the previous passwords do not count; an older one does (the N-2 rule)."""
    user = "CONTOSO\\SMSClient_TB1"
    for _ in range(20):
        assert tb1_modern.authenticate("DC1", user, "Tb1-Client-1999") is AuthOutcome.BAD_PASSWORD
    assert tb1_modern.ad_account("SMSClient_TB1").bad_pwd_count == 0  # type: ignore[union-attr]
    tb1_modern.authenticate("DC1", user, "never-used")
    assert tb1_modern.ad_account("SMSClient_TB1").bad_pwd_count == 1  # type: ignore[union-attr]


def test_n2_switch_off_in_nt4(tb1: DomainBackend) -> None:
    """NT4: the previous password counts like any other bad password."""
    tb1.authenticate("DC1", "CONTOSO\\SMSClient_TB1", "Tb1-Client-1999")
    assert tb1.ad_account("SMSClient_TB1").bad_pwd_count == 1  # type: ignore[union-attr]


def test_duration_zero_locks_until_an_admin_unlocks() -> None:
    """Duration 0: locked until Unlock-ADAccount."""
    user, policy = _user(), LockoutPolicy(threshold=1, duration=timedelta(0))
    lockout.check_logon(user, policy, T0, SecureString("x"))
    assert lockout.is_locked(user, policy, T0 + timedelta(days=365))
    lockout.unlock(user)
    assert lockout.check_logon(user, policy, T0, SecureString("Current-1")) is AuthOutcome.OK


def test_disabled_and_unknown_accounts(tb1: DomainBackend) -> None:
    """A disabled account with the right password is DISABLED; an unknown one NO_SUCH_USER."""
    assert tb1.authenticate("DC1", "CONTOSO\\nobody", "x") is AuthOutcome.NO_SUCH_USER
    assert tb1.authenticate("DC1", "CONTOSO\\Guest", "") is AuthOutcome.DISABLED


def test_record_logon_for_ntlm(tb1: DomainBackend) -> None:
    """record_logon applies the policy to a password checked elsewhere; locked stays LOCKED."""
    for _ in range(4):
        assert tb1.record_logon("DC1", ADMIN, password_ok=False) is AuthOutcome.BAD_PASSWORD
    assert tb1.record_logon("DC1", ADMIN, password_ok=False) is AuthOutcome.LOCKED
    assert tb1.record_logon("DC1", ADMIN, password_ok=True) is AuthOutcome.LOCKED


def test_local_accounts_of_a_member_server(tb1: DomainBackend) -> None:
    """Bare and HOST\\ names on a member resolve to its SAM; DOMAIN\\ names to AD."""
    assert tb1.authenticate("CAP1", "Administrator", "Lab-Local-2000!") is AuthOutcome.OK
    assert tb1.authenticate("CAP1", "CAP1\\Administrator", "Lab-Local-2000!") is AuthOutcome.OK
    assert tb1.authenticate("CAP1", "CONTOSO\\Administrator", "Lab-Admin-2000!") is AuthOutcome.OK
    assert tb1.authenticate("CAP1", "labadmin@contoso.com", PASSWORD) is AuthOutcome.OK


def test_accounts_for_the_ntlm_acceptor(tb1: DomainBackend) -> None:
    """accounts() lists local accounts under the host name and domain ones under CONTOSO."""
    names = {(a.domain, a.username) for a in tb1.accounts("CAP1")}
    assert ("CAP1", "Administrator") in names
    assert ("CONTOSO", "labadmin") in names
    assert ("CONTOSO", "Guest") not in names  # no password: cannot be checked
    dc = {(a.domain, a.username) for a in tb1.accounts("DC1")}
    assert all(domain == "CONTOSO" for domain, _ in dc)


def test_passwords_never_show_in_reprs(tb1: DomainBackend) -> None:
    """Model and view reprs carry no password."""
    with tb1.inspect() as state:
        user = state.ad.store.user("SMSClient_TB1")
        client = state.client("WKS0001")
        text = repr(user) + repr(client) + repr(client.known_accounts if client else None)
        text += repr(state.site)
    text += repr(tb1.ad_account("SMSClient_TB1"))
    assert "Tb1-Client" not in text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3600), st.booleans()), max_size=40),
    st.integers(1, 10),
    st.integers(1, 60),
)
def test_counter_invariants(attempts: list[tuple[int, bool]], threshold: int, minutes: int) -> None:
    """Whatever the sequence: the count never exceeds the threshold while locking applies, a
    locked account never counts, and success always clears both.

    The observation window is a second shorter than the lockout: with both equal, a bad
    password at the very instant the lockout ends still falls inside the window ([MS-SAMR]
    compares with `>`), so the count passes the threshold and the account locks again at once,
    as a real DC does."""
    window = timedelta(minutes=minutes) - timedelta(seconds=1)
    policy = LockoutPolicy(threshold, window, timedelta(minutes=minutes), False)
    user, now = _user(), T0
    for gap, right in attempts:
        now += timedelta(seconds=gap)
        was_locked = lockout.is_locked(user, policy, now)
        count = user.bad_pwd_count
        outcome = lockout.check_logon(
            user, policy, now, SecureString("Current-1" if right else "bad")
        )
        if was_locked:
            assert outcome is AuthOutcome.LOCKED
            assert user.bad_pwd_count == count
        elif right:
            assert outcome is AuthOutcome.OK
            assert (user.bad_pwd_count, user.lockout_time) == (0, None)
        assert user.bad_pwd_count <= threshold


def test_ntlm_account_list_does_not_print_passwords(tb1: DomainBackend) -> None:
    """contract.Account hides its password from repr (the acceptor's list may get logged)."""
    accounts = tb1.accounts("CAP1")
    assert any(a.password == "Lab-Local-2000!" for a in accounts)
    assert "Lab-Local-2000!" not in repr(accounts)
