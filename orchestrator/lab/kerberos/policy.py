"""The domain's lockout policy as an MIT KDC password policy, and MIT's test of "locked".

AD and MIT count the same way: a failed pre-authentication adds one; a count older than the
observation window (MIT: failurecountinterval) restarts; at the threshold (maxfailure) the
account is locked for the duration (lockoutduration; 0 = until an administrator unlocks it).
MIT: kdc.conf and kadmin "add_policy" pages, "Account lockout" in the admin guide
(https://web.mit.edu/kerberos/krb5-latest/doc/admin/lockout.html).

What MIT cannot express: AD's N-2 exemption (a recent previous password does not count) and a
wrong password on a disabled account counting (MIT refuses a disabled principal before it looks
at the pre-authentication, so nothing is counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.lab.domain.lockout import LockoutPolicy

# MIT assigns the policy named "default" to every principal added without -policy/-clearpolicy
# (kadmin "add_principal"); users get it explicitly, service principals are added without one.
POLICY_NAME = "default"


@dataclass(frozen=True)
class KdcLockout:
    """A kadmin policy's lockout relations."""

    max_failures: int  # 0 = never locks
    failure_count_interval: timedelta  # 0 = the count never restarts
    lockout_duration: timedelta  # 0 = until unlocked
    name: str = POLICY_NAME

    def policy_options(self) -> list[str]:
        """add_policy / modify_policy options (durations in seconds: kadmin's "getdate" forms)."""
        return [
            "-maxfailure",
            str(self.max_failures),
            "-failurecountinterval",
            f"{int(self.failure_count_interval.total_seconds())}s",
            "-lockoutduration",
            f"{int(self.lockout_duration.total_seconds())}s",
        ]


def from_lockout(policy: LockoutPolicy) -> KdcLockout:
    """The KDC policy for the domain's: threshold, observation window and duration, one to one."""
    return KdcLockout(
        max_failures=policy.threshold,
        failure_count_interval=policy.observation_window,
        lockout_duration=policy.duration,
    )


def is_locked(
    lockout: KdcLockout, failed_attempts: int, last_failed: datetime | None, now: datetime
) -> bool:
    """The KDC's own test (locked_check_p in MIT's kdb lockout code): enough failures, and the
    last one within the duration (or the duration is 0). An administrator's unlock sets the count
    to 0, so it needs no separate case here."""
    if lockout.max_failures == 0 or failed_attempts < lockout.max_failures:
        return False
    if lockout.lockout_duration == timedelta(0):
        return True
    return last_failed is not None and last_failed + lockout.lockout_duration > now
