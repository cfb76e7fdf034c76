"""Name and SID resolution across a host's SAM and the domain, and group expansion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import AccountStore, Group, Principal, UserAccount
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.state import LabState

_WELL_KNOWN = {
    sids.LOCAL_SYSTEM: "NT AUTHORITY\\SYSTEM",
    sids.EVERYONE: "Everyone",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
}


def well_known_name(sid: str) -> str | None:
    """The display name of a well-known SID that no SAM holds (SYSTEM, Everyone ...)."""
    return _WELL_KNOWN.get(sids.canonical(sid))


@dataclass(frozen=True)
class Resolved:
    """A principal and the authority (store) that holds it."""

    principal: Principal
    store: AccountStore

    @property
    def qualified_name(self) -> str:
        """AUTHORITY\\name, as LocalAccounts prints members."""
        authority = "BUILTIN" if _is_builtin(self.principal) else self.store.authority
        return f"{authority}\\{self.principal.name}"


def _is_builtin(principal: Principal) -> bool:
    return isinstance(principal, Group) and principal.builtin


def split_account(text: str) -> tuple[str | None, str]:
    """'DOMAIN\\name' / 'name@dns' / '.\\name' / 'name' into (authority or None, name)."""
    if "\\" in text:
        authority, name = text.split("\\", 1)
        return authority, name
    if "@" in text:
        name, dns = text.rsplit("@", 1)
        return dns, name
    return None, text


def _authority_store(state: LabState, host: Host, authority: str) -> AccountStore | None:
    wanted = authority.lower()
    if wanted in (state.ad.netbios.lower(), state.ad.dns_root):
        return state.ad.store
    if wanted in (".", host.name.lower()):
        return state.store_for(host)
    if wanted == "builtin":
        return state.store_for(host)
    return None


def resolve_logon(state: LabState, host: Host, username: str) -> Resolved | None:
    """The account a logon to `host` names: qualified as given; bare = local, then domain."""
    authority, name = split_account(username)
    stores: list[AccountStore | None]
    if authority is not None:
        stores = [_authority_store(state, host, authority)]
    else:
        stores = [state.store_for(host), state.ad.store]
    for store in stores:
        user = store.user(name) if store is not None else None
        if user is not None and store is not None:
            return Resolved(user, store)
    return None


def resolve_sid(state: LabState, host: Host, sid: str) -> Resolved | None:
    """A SID looked up in the host's SAM, then in the domain."""
    for store in (state.store_for(host), state.ad.store):
        found = store.by_sid(sid)
        if found is not None:
            return Resolved(found, store)
    return None


def resolve_member(state: LabState, host: Host, text: str) -> Resolved | None:
    """A member name as Add-LocalGroupMember resolves it.

    On a domain member an unqualified name resolves to the *domain* account first: "If the
    computer is joined to a domain and you try to add a local user that has the same name as a
    member of the domain it adds the domain member." (Add-LocalGroupMember on Microsoft Learn;
    PowerShell/PowerShell#12289).
    """
    if sids.is_sid(text):
        return resolve_sid(state, host, text)
    authority, name = split_account(text)
    if authority is not None:
        store = _authority_store(state, host, authority)
        found = store.principal(name) if store else None
        return Resolved(found, store) if found is not None and store is not None else None
    for store in (state.ad.store, state.store_for(host)):
        found = store.principal(name)
        if found is not None:
            return Resolved(found, store)
    return None


def effective_sids(state: LabState, resource: Host, found: Resolved, now: datetime) -> set[str]:
    """The token of `found` when it accesses `resource`: its SID, primary group, its
    authority's groups (transitively, TTL'd links only while valid) and the resource's
    local aliases that contain any of those (e.g. local Users holding Domain Users)."""
    principal = found.principal
    token = {sids.canonical(principal.sid), sids.EVERYONE}
    if isinstance(principal, UserAccount):
        token.add(sids.canonical(f"{found.store.sid}-{principal.primary_group_rid}"))
    _expand(found.store, token, now)
    local = state.store_for(resource)
    if local is not found.store:
        _expand(local, token, now)
    return token


def _expand(store: AccountStore, token: set[str], now: datetime) -> None:
    changed = True
    while changed:
        changed = False
        for group in store.groups():
            key = sids.canonical(group.sid)
            if key in token:
                continue
            if any(m.sid in token for m in group.valid_members(now)):
                token.add(key)
                changed = True
