"""What changed in the domain's accounts between two moments, for whoever mirrors them.

The backend keeps a snapshot of the domain users that matter to a logon (name, password,
enabled, lockout) and, after each committed change (a pipeline, the clock moving), hands the
differences to its observers as values. The model knows nothing of who listens: the lab's KDC
is one such observer (kerberos.sync), and any mirror of the directory could be another.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.directory import ActiveDirectory


@dataclass(frozen=True)
class AccountFacts:
    """A domain user as a logon sees it."""

    name: str  # sAMAccountName, exact case
    password: SecureString = field(repr=False)
    enabled: bool
    locks_out: bool  # False for RID 500, which AD never locks out
    locked: bool  # lockoutTime set
    bad_count: int  # badPwdCount


class ChangeKind(enum.Enum):
    """What happened to one account."""

    CREATED = "created"  # a new account with a password, or a first password on one
    DELETED = "deleted"  # removed, or renamed away (a rename is DELETED + CREATED)
    PASSWORD_SET = "password_set"  # noqa: S105 -- a change's name, not a password
    ENABLED = "enabled"
    DISABLED = "disabled"
    UNLOCKED = "unlocked"  # lockout and badPwdCount cleared (Unlock-ADAccount, a success)


@dataclass(frozen=True)
class AccountChange:
    """One change; `facts` is the account after it (before it, for DELETED)."""

    kind: ChangeKind
    facts: AccountFacts


class AccountObserver(Protocol):
    """Told about committed account changes, in one call per batch, under the backend's lock."""

    def accounts_changed(self, changes: Sequence[AccountChange]) -> None:
        """Mirror the changes; must not call back into the backend."""
        ...


Snapshot = dict[str, AccountFacts]  # by canonical SID: a rename keeps the key


def snapshot(ad: ActiveDirectory) -> Snapshot:
    """Every domain user that has a password, as a logon sees it."""
    return {
        sids.canonical(user.sid): AccountFacts(
            user.name,
            user.password,
            enabled=user.enabled,
            locks_out=user.rid != sids.RID_ADMINISTRATOR,
            locked=user.lockout_time is not None,
            bad_count=user.bad_pwd_count,
        )
        for user in ad.store.users()
        if user.password is not None and user.has_password
    }


def diff(before: Snapshot, after: Snapshot) -> list[AccountChange]:
    """The changes that turn `before` into `after`: deletions first, then per account."""
    changes = [
        AccountChange(ChangeKind.DELETED, old)
        for key, old in before.items()
        if key not in after or after[key].name != old.name
    ]
    for key, new in after.items():
        old = before.get(key)
        if old is None or old.name != new.name:
            changes.append(AccountChange(ChangeKind.CREATED, new))
        else:
            changes += [AccountChange(kind, new) for kind in _changed(old, new)]
    return changes


def _changed(old: AccountFacts, new: AccountFacts) -> list[ChangeKind]:
    kinds: list[ChangeKind] = []
    if old.password != new.password:
        kinds.append(ChangeKind.PASSWORD_SET)
    if old.enabled != new.enabled:
        kinds.append(ChangeKind.ENABLED if new.enabled else ChangeKind.DISABLED)
    if (old.locked or old.bad_count) and not (new.locked or new.bad_count):
        kinds.append(ChangeKind.UNLOCKED)
    return kinds
