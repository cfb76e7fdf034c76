"""Account lockout and password policy: the counting algorithm of [MS-SAMR] 3.1.5.14.6, exactly.

on a bad password (account not locked):
    N-2 exemption: a password among the last `n2_depth` previous ones is not counted (TechNet
    Wiki, "Active Directory: Bad Passwords and Account Lockout");
    outside the observation window the count restarts at 1, else it increments ([MS-SAMR]);
    at the threshold lockoutTime = now (RID 500 exempt: "Local Accounts", Microsoft Learn).
locked = lockoutTime set and (duration 0 or lockoutTime + duration > now); while locked every
attempt fails without counting, even with the right password. Success resets both (the
Lockout-Time attribute, Microsoft Learn).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.lab.contract import AuthOutcome, SecureString
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import UserAccount


@dataclass(frozen=True)
class LockoutPolicy:
    """Account lockout settings (Default Domain Policy: threshold 0 = never)."""

    threshold: int = 0
    observation_window: timedelta = timedelta(minutes=30)
    duration: timedelta = timedelta(minutes=30)  # 0 = until an administrator unlocks
    n2_exemption: bool = True
    n2_depth: int = 2
    exempt_rids: frozenset[int] = frozenset({sids.RID_ADMINISTRATOR})


@dataclass(frozen=True)
class PasswordPolicy:
    """Password rules checked on set/reset (Default Domain Policy values)."""

    min_length: int = 7
    complexity: bool = True
    history_length: int = 24


def is_locked(user: UserAccount, policy: LockoutPolicy, now: datetime) -> bool:
    """Strict lockout state at `now` (lockoutTime alone can be stale: Lockout-Time attribute)."""
    if user.lockout_time is None:
        return False
    if policy.duration == timedelta(0):
        return True
    return user.lockout_time + policy.duration > now


def _n2_exempt(user: UserAccount, policy: LockoutPolicy, attempted: SecureString | None) -> bool:
    if not policy.n2_exemption or attempted is None:
        return False
    return attempted in user.history[: policy.n2_depth]


def record_failure(
    user: UserAccount, policy: LockoutPolicy, now: datetime, attempted: SecureString | None
) -> None:
    """Count one bad password against an account that is not locked."""
    if _n2_exempt(user, policy, attempted):
        return
    last = user.bad_password_time
    if last is None or now - last > policy.observation_window:
        user.bad_pwd_count = 1
    else:
        user.bad_pwd_count += 1
    user.bad_password_time = now
    reached = policy.threshold > 0 and user.bad_pwd_count >= policy.threshold
    if reached and user.rid not in policy.exempt_rids:
        user.lockout_time = now


def record_success(user: UserAccount) -> None:
    """A successful logon clears the counter and any expired lockout (Lockout-Time attribute)."""
    user.bad_pwd_count = 0
    user.lockout_time = None


def unlock(user: UserAccount) -> None:
    """Unlock-ADAccount: lockoutTime = 0 (and badPwdCount = 0)."""
    user.lockout_time = None
    user.bad_pwd_count = 0


def logon(
    user: UserAccount,
    policy: LockoutPolicy,
    now: datetime,
    *,
    password_ok: bool,
    attempted: SecureString | None = None,
) -> AuthOutcome:
    """Decide one logon and apply the policy: locked first, then password, then disabled."""
    if is_locked(user, policy, now):
        return AuthOutcome.LOCKED
    if not password_ok:
        record_failure(user, policy, now, attempted)
        return AuthOutcome.LOCKED if is_locked(user, policy, now) else AuthOutcome.BAD_PASSWORD
    if not user.enabled:
        return AuthOutcome.DISABLED
    record_success(user)
    return AuthOutcome.OK


def check_logon(
    user: UserAccount, policy: LockoutPolicy, now: datetime, password: SecureString
) -> AuthOutcome:
    """Logon with a clear-text password (Basic, SMB): compares, then applies `logon`."""
    ok = user.password_matches(password)
    return logon(user, policy, now, password_ok=ok, attempted=password)


def meets_policy(password: str, account_name: str, policy: PasswordPolicy) -> bool:
    """Length and complexity rules (3 of 4 character classes, not containing the name)."""
    if len(password) < policy.min_length:
        return False
    if not policy.complexity:
        return True
    if len(account_name) > 2 and account_name.lower() in password.lower():
        return False
    classes = (
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    return sum(classes) >= 3


def in_history(user: UserAccount, password: SecureString, policy: PasswordPolicy) -> bool:
    """True when the password is the current one or among the remembered previous ones."""
    if policy.history_length == 0:
        return False
    if user.password is not None and user.password == password:
        return True
    return password in user.history[: policy.history_length - 1]


def set_password(
    user: UserAccount, new: SecureString, now: datetime, policy: PasswordPolicy
) -> None:
    """Store a new password; the old one enters history (a reset does not unlock [U])."""
    if user.password is not None:
        user.history.insert(0, user.password)
        del user.history[max(policy.history_length, 2) :]
    user.password = new
    user.password_last_set = now
