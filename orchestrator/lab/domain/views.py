"""Read-only snapshots of model entities, for tests and tools (never live references)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchestrator.lab.domain import lockout
from orchestrator.lab.domain.accounts import UserAccount
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.domain.sms import LAST_CHECKED, ClientHealth, SmsClient, site_key
from orchestrator.lab.domain.state import LabState
from orchestrator.lab.domain.tasks import ScheduledTask, TaskState


@dataclass(frozen=True)
class AccountView:
    """An account's state (badPwdCount, lockout ...), without its password."""

    name: str
    sid: str
    enabled: bool
    locked_out: bool
    bad_pwd_count: int
    bad_password_time: datetime | None
    lockout_time: datetime | None
    password_last_set: datetime | None

    @staticmethod
    def of(user: UserAccount, policy: LockoutPolicy, now: datetime) -> AccountView:
        """Snapshot a user at `now`."""
        return AccountView(
            user.name,
            user.sid,
            user.enabled,
            lockout.is_locked(user, policy, now),
            user.bad_pwd_count,
            user.bad_password_time,
            user.lockout_time,
            user.password_last_set,
        )


@dataclass(frozen=True)
class ClientView:
    """An SMS client's state as the site would report it."""

    host: str
    installed: bool
    health: ClientHealth
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: int
    known_accounts: tuple[str, ...]
    timestamp_unreadable: bool
    site_config_last_checked: str | None

    @staticmethod
    def of(state: LabState, client: SmsClient) -> ClientView:
        """Snapshot a client."""
        host = state.host(client.host)
        raw = host.registry.get(site_key(client.site_code), LAST_CHECKED) if host else None
        text = raw.data if raw is not None and isinstance(raw.data, str) else None
        return ClientView(
            client.host,
            client.installed,
            client.health,
            client.last_success,
            client.last_attempt,
            client.last_error,
            tuple(k.name for k in client.known_accounts),
            client.timestamp_unreadable,
            text,
        )


@dataclass(frozen=True)
class TaskView:
    """A scheduled task's run state (Get-ScheduledTaskInfo)."""

    name: str
    path: str
    state: TaskState
    last_run_time: datetime | None
    last_result: int
    missed_runs: int
    next_run_time: datetime | None

    @staticmethod
    def of(task: ScheduledTask) -> TaskView:
        """Snapshot a task."""
        return TaskView(
            task.name,
            task.path,
            task.state,
            task.last_run_time,
            task.last_result,
            task.missed_runs,
            task.next_run_time,
        )
