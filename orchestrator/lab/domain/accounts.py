"""Users, groups and the account store (a member server's SAM, or the AD domain's).

Users and groups are mutable entities (their state changes over time); passwords are kept as
SecureString and never appear in a repr.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain import sid as sids


@dataclass(eq=False, slots=True)
class UserAccount:
    """A user in a SAM or in AD, with the lockout attributes of [MS-SAMR] 3.1.5.14.6."""

    name: str
    sid: str
    enabled: bool = True
    password: SecureString | None = field(default=None, repr=False)
    history: list[SecureString] = field(default_factory=list, repr=False)  # previous, newest first
    password_not_required: bool = False
    password_never_expires: bool = False
    user_may_change_password: bool = True
    description: str = ""
    full_name: str = ""
    bad_pwd_count: int = 0
    bad_password_time: datetime | None = None
    lockout_time: datetime | None = None  # set until success or unlock (Lockout-Time attribute)
    primary_group_rid: int = sids.RID_DOMAIN_USERS
    password_last_set: datetime | None = None
    cn: str = ""  # AD only: the object's CN (Name)
    container: str = ""  # AD only: the parent DN
    upn: str = ""
    given_name: str = ""
    surname: str = ""
    guid: str = ""

    @property
    def rid(self) -> int:
        """The account's RID (500 Administrator, 501 Guest ...)."""
        return sids.rid_of(self.sid)

    @property
    def has_password(self) -> bool:
        """True when a non-blank password is set."""
        return self.password is not None and self.password.reveal() != ""

    def password_matches(self, candidate: SecureString) -> bool:
        """Compare a presented password with the current one (blank matches no password)."""
        current = self.password.reveal() if self.password is not None else ""
        return candidate.reveal() == current


@dataclass(frozen=True)
class GroupMember:
    """One member link; `expires_at` is the PAM time-to-live deadline, None = permanent."""

    sid: str
    expires_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        """A TTL'd membership counts only before its deadline."""
        return self.expires_at is None or now < self.expires_at


@dataclass(eq=False, slots=True)
class Group:
    """A group (AD global group, or a builtin/local alias) with its member links."""

    name: str
    sid: str
    description: str = ""
    builtin: bool = False
    members: dict[str, GroupMember] = field(default_factory=dict)  # key: canonical SID
    guid: str = ""
    container: str = ""

    def has_member(self, sid: str, now: datetime) -> bool:
        """True when `sid` is a direct member whose link is still valid."""
        link = self.members.get(sids.canonical(sid))
        return link is not None and link.valid_at(now)

    def add(self, sid: str, expires_at: datetime | None = None) -> None:
        """Add or refresh a member link."""
        self.members[sids.canonical(sid)] = GroupMember(sids.canonical(sid), expires_at)

    def remove(self, sid: str) -> bool:
        """Drop a member link; False if it was not there."""
        return self.members.pop(sids.canonical(sid), None) is not None

    def valid_members(self, now: datetime) -> list[GroupMember]:
        """Member links that count at `now`."""
        return [m for m in self.members.values() if m.valid_at(now)]

    def expire(self, now: datetime) -> list[str]:
        """Remove links whose TTL has passed; return their SIDs."""
        gone = [k for k, m in self.members.items() if not m.valid_at(now)]
        for key in gone:
            del self.members[key]
        return gone


Principal = UserAccount | Group


def object_guid(sid: str) -> str:
    """A stable objectGUID derived from the SID."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, sid))


def guid_of(principal: UserAccount | Group) -> str:
    """The principal's objectGUID, derived on first use (cheap loading of big scenarios)."""
    if not principal.guid:
        principal.guid = object_guid(principal.sid)
    return principal.guid


class AccountStore:
    """A security authority's accounts: a member server's SAM or the domain's AD users/groups."""

    def __init__(self, authority: str, authority_sid: str, first_rid: int) -> None:
        self.authority = authority  # NetBIOS domain name or computer name
        self.sid = authority_sid
        self._users: dict[str, UserAccount] = {}
        self._groups: dict[str, Group] = {}
        self._by_sid: dict[str, Principal] = {}
        self._next_rid = first_rid

    def new_sid(self) -> str:
        """Allocate the next RID under this authority."""
        while f"{self.sid}-{self._next_rid}" in self._by_sid:
            self._next_rid += 1
        self._next_rid += 1
        return f"{self.sid}-{self._next_rid - 1}"

    def add_user(self, user: UserAccount) -> UserAccount:
        """Store a user (its name must be free among users and groups)."""
        self._check_free(user.name, user.sid)
        self._users[user.name.lower()] = user
        self._by_sid[sids.canonical(user.sid)] = user
        return user

    def add_group(self, group: Group) -> Group:
        """Store a group (its name must be free among users and groups)."""
        self._check_free(group.name, group.sid)
        self._groups[group.name.lower()] = group
        self._by_sid[sids.canonical(group.sid)] = group
        return group

    def remove_user(self, user: UserAccount) -> None:
        """Delete a user and every group link that names it."""
        self._users.pop(user.name.lower(), None)
        self._by_sid.pop(sids.canonical(user.sid), None)
        for group in self._groups.values():
            group.remove(user.sid)

    def user(self, name: str) -> UserAccount | None:
        """A user by name (case-insensitive)."""
        return self._users.get(name.lower())

    def group(self, name: str) -> Group | None:
        """A group by name (case-insensitive)."""
        return self._groups.get(name.lower())

    def by_sid(self, sid: str) -> Principal | None:
        """A user or group by SID."""
        return self._by_sid.get(sids.canonical(sid))

    def user_by_sid(self, sid: str) -> UserAccount | None:
        """A user by SID."""
        found = self.by_sid(sid)
        return found if isinstance(found, UserAccount) else None

    def group_by_sid(self, sid: str) -> Group | None:
        """A group by SID."""
        found = self.by_sid(sid)
        return found if isinstance(found, Group) else None

    def principal(self, name: str) -> Principal | None:
        """A user or group by name."""
        return self.user(name) or self.group(name)

    def users(self) -> list[UserAccount]:
        """Users in RID order, as SAM enumeration returns them."""
        return sorted(self._users.values(), key=lambda u: u.rid)

    def groups(self) -> list[Group]:
        """Groups in name order."""
        return sorted(self._groups.values(), key=lambda g: g.name.lower())

    def groups_of(self, sid: str, now: datetime) -> Iterator[Group]:
        """Groups of this store in which `sid` is a valid direct member."""
        return (g for g in self._groups.values() if g.has_member(sid, now))

    def _check_free(self, name: str, sid: str) -> None:
        if name.lower() in self._users or name.lower() in self._groups:
            raise ValueError(f"name in use: {name}")
        if sid and sids.canonical(sid) in self._by_sid:
            raise ValueError(f"SID in use: {sid}")
