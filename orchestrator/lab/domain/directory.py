"""Active Directory: the domain's users and groups, its policies, PAM and identity lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import AccountStore, Group, Principal, UserAccount, guid_of
from orchestrator.lab.domain.lockout import LockoutPolicy, PasswordPolicy

_GUID = re.compile(r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$", re.I)


@dataclass(eq=False)
class ActiveDirectory:
    """One domain, modelled as a single authoritative DC (no replication)."""

    netbios: str
    dns_root: str
    store: AccountStore
    lockout: LockoutPolicy
    passwords: PasswordPolicy
    # the Privileged Access Management Feature cannot be disabled once on (e.g. frankysweb.de)
    pam_enabled: bool = False
    containers: set[str] = field(default_factory=set)  # lower-case DNs of containers and OUs

    @property
    def dn(self) -> str:
        """The naming context, e.g. DC=contoso,DC=com."""
        return ",".join(f"DC={part}" for part in self.dns_root.split("."))

    @property
    def sid(self) -> str:
        """The domain SID."""
        return self.store.sid

    @property
    def users_container(self) -> str:
        """CN=Users,<domain DN>: where New-ADUser puts users without -Path."""
        return f"CN=Users,{self.dn}"

    def dn_of(self, principal: Principal) -> str:
        """The distinguished name of a user or group."""
        cn = principal.name
        if isinstance(principal, UserAccount) and principal.cn:
            cn = principal.cn
        return f"CN={cn},{principal.container or self.users_container}"

    def find(self, identity: str) -> Principal | None:
        """-Identity lookup: DN, GUID, SID or sAMAccountName, never the display Name (the
        -Identity parameter of the AD cmdlets on Microsoft Learn)."""
        text = identity.strip()
        if sids.is_sid(text):
            return self.store.by_sid(text)
        if _GUID.match(text):
            wanted = text.strip("{}").lower()
            return next((p for p in self._all() if guid_of(p).lower() == wanted), None)
        if text.upper().startswith("CN=") and "," in text:
            return next((p for p in self._all() if self.dn_of(p).lower() == text.lower()), None)
        return self.store.principal(text)

    def find_user(self, identity: str) -> UserAccount | None:
        """A user by identity."""
        found = self.find(identity)
        return found if isinstance(found, UserAccount) else None

    def find_group(self, identity: str) -> Group | None:
        """A group by identity."""
        found = self.find(identity)
        return found if isinstance(found, Group) else None

    def well_known_group(self, rid: int) -> Group:
        """The group with a well-known RID (513 Domain Users ...)."""
        group = self.store.group_by_sid(f"{self.sid}-{rid}")
        assert group is not None
        return group

    def container_exists(self, dn: str) -> bool:
        """True for CN=Users and the OUs the scenario created."""
        return dn.lower() in self.containers

    def expire_memberships(self, now: datetime) -> int:
        """Drop PAM TTL'd member links that have expired; return how many."""
        return sum(len(g.expire(now)) for g in self.store.groups())

    def memberships(self, principal: Principal, now: datetime) -> list[Group]:
        """Groups with a valid `member` link to the principal (not the primary group)."""
        return list(self.store.groups_of(principal.sid, now))

    def _all(self) -> list[Principal]:
        return [*self.store.users(), *self.store.groups()]


def _builtin(store: AccountStore, name: str, sid: str, members: list[str]) -> None:
    group = store.add_group(Group(name, sid, builtin=True))
    for member in members:
        group.add(member)


def new_domain(
    netbios: str,
    dns_root: str,
    admin_password: SecureString,
    lockout: LockoutPolicy,
    passwords: PasswordPolicy,
) -> ActiveDirectory:
    """A fresh domain with its well-known accounts: Administrator, a disabled Guest whose
    password is not required (Local Accounts on Microsoft Learn), krbtgt, and the default
    groups."""
    domain_sid = sids.make_authority_sid("domain:" + dns_root.lower())
    store = AccountStore(netbios.upper(), domain_sid, sids.FIRST_DOMAIN_RID)
    ad = ActiveDirectory(netbios.upper(), dns_root.lower(), store, lockout, passwords)
    ad.containers.add(ad.users_container.lower())
    admin = UserAccount("Administrator", f"{domain_sid}-{sids.RID_ADMINISTRATOR}")
    admin.password = admin_password
    store.add_user(admin)
    guest = UserAccount(
        "Guest",
        f"{domain_sid}-{sids.RID_GUEST}",
        enabled=False,
        password_not_required=True,
        primary_group_rid=sids.RID_DOMAIN_GUESTS,
    )
    store.add_user(guest)
    store.add_user(UserAccount("krbtgt", f"{domain_sid}-{sids.RID_KRBTGT}", enabled=False))
    _add_default_groups(ad)
    return ad


def _add_default_groups(ad: ActiveDirectory) -> None:
    store, d = ad.store, ad.sid
    store.add_group(Group("Domain Admins", f"{d}-{sids.RID_DOMAIN_ADMINS}")).add(
        f"{d}-{sids.RID_ADMINISTRATOR}"
    )
    store.add_group(Group("Domain Users", f"{d}-{sids.RID_DOMAIN_USERS}"))
    store.add_group(Group("Domain Guests", f"{d}-{sids.RID_DOMAIN_GUESTS}"))
    store.add_group(Group("Domain Computers", f"{d}-{sids.RID_DOMAIN_COMPUTERS}"))
    admins = [f"{d}-{sids.RID_ADMINISTRATOR}", f"{d}-{sids.RID_DOMAIN_ADMINS}"]
    _builtin(store, "Administrators", sids.BUILTIN_ADMINISTRATORS, admins)
    _builtin(store, "Users", sids.BUILTIN_USERS, [f"{d}-{sids.RID_DOMAIN_USERS}"])
    guests = [f"{d}-{sids.RID_GUEST}", f"{d}-{sids.RID_DOMAIN_GUESTS}"]
    _builtin(store, "Guests", sids.BUILTIN_GUESTS, guests)
    for group in store.groups():
        if group.builtin:
            group.container = "CN=Builtin," + ad.dn
