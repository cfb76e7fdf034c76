"""Whether Guest can work on each CAP, and whether each client would accept it.

The Guest that counts is the one of the server being accessed (Q103390): on a CAP that is a
domain controller the domain Guest (it must be in Domain Users), on a member server its local
Guest, the account with RID 501 (Q236052). Two modern barriers can be read in the registry:

- `LimitBlankPasswordUse` (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa) on a member-server
  CAP: 1 keeps local accounts with a blank password, the local Guest among them, from logging
  on over the network ("Accounts: Limit local account use of blank passwords to console logon
  only", Microsoft Learn). It does not concern the domain Guest of a DC.
- `AllowInsecureGuestAuth` (HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanWorkstation\\
  Parameters) on a client: 0 makes its SMB client refuse a session granted as Guest ("Guest
  access in SMB2 and SMB3 disabled in Windows", Microsoft Learn).

A value that is not set means the host's default, which depends on its Windows version: it
cannot be confirmed, so it counts as a possible barrier. "Deny access to this computer from
the network" is a user right, not a registry value: it is not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.diagnosis.facts import CapFacts, ClientHostFacts, Facts


@dataclass(frozen=True)
class GuestFinding:
    """One CAP: its Guest and whether Guest can work there (None: cannot be confirmed)."""

    host: str
    on_dc: bool | None
    guest: str | None
    guest_enabled: bool | None
    limit_blank_password_use: int | None
    can_work: bool | None
    reason: str
    read: bool = True


@dataclass(frozen=True)
class ClientHostFinding:
    """One client host: whether its SMB client accepts Guest, and whether Smsman is there."""

    host: str
    allow_insecure_guest_auth: int | None
    accepts_guest: bool | None  # None: not set, or not read
    guest_reason: str
    smsman: bool | None  # at the path the playbooks run; None: not read
    read: bool


def guest_findings(facts: Facts) -> tuple[GuestFinding, ...]:
    """Each CAP of the inventory, read or not."""
    read = {c.host.casefold(): c for c in facts.caps}
    return tuple(_cap(facts, name, read.get(name.casefold())) for name in facts.scope.caps)


def _cap(facts: Facts, name: str, cap: CapFacts | None) -> GuestFinding:
    if cap is None:
        unread = facts.unread_host(name)
        why = f"not read: {unread.reason}" if unread else "not read"
        return GuestFinding(name, None, None, None, None, None, why, read=False)
    can_work, reason = _guest_works(cap)
    return GuestFinding(
        cap.host,
        cap.on_dc,
        cap.guest,
        cap.guest_enabled,
        cap.limit_blank_password_use,
        can_work,
        reason,
    )


def _guest_works(cap: CapFacts) -> tuple[bool | None, str]:
    if cap.guest is None:
        return False, "no account with RID 501 (Guest) was found"
    if cap.on_dc:
        return True, (
            f"the domain Guest ({cap.guest}) serves a CAP on a domain controller, once enabled"
            " and in Domain Users (Q236052); LimitBlankPasswordUse concerns local accounts only"
        )
    value = cap.limit_blank_password_use
    if value is None:
        return None, (
            "LimitBlankPasswordUse is not set: the host's default applies (on since it exists),"
            " which would keep the local Guest off the network; set it to confirm"
        )
    if value != 0:
        return False, (
            f"LimitBlankPasswordUse={value}: the local Guest, with its blank password, cannot"
            " log on over the network"
        )
    return True, f"the local Guest ({cap.guest}) serves a member-server CAP, once enabled"


def client_host_findings(facts: Facts) -> tuple[ClientHostFinding, ...]:
    """Each client host of the inventory, read or not."""
    return tuple(_client(facts, name, facts.client_host(name)) for name in facts.scope.clients)


def _client(facts: Facts, name: str, host: ClientHostFacts | None) -> ClientHostFinding:
    if host is None:
        unread = facts.unread_host(name)
        why = f"not read: {unread.reason}" if unread else "not read"
        return ClientHostFinding(name, None, None, why, None, read=False)
    accepts, reason = _accepts_guest(host.allow_insecure_guest_auth)
    return ClientHostFinding(
        host.host,
        host.allow_insecure_guest_auth,
        accepts,
        reason,
        host.smsman_at(facts.smsman_path),
        read=True,
    )


def _accepts_guest(value: int | None) -> tuple[bool | None, str]:
    if value is None:
        return None, (
            "AllowInsecureGuestAuth is not set: the default of the host's Windows version"
            " applies (current SMB clients refuse guest logons); set it to confirm"
        )
    if value == 0:
        return False, "AllowInsecureGuestAuth=0: its SMB client refuses guest access"
    return True, f"AllowInsecureGuestAuth={value}: its SMB client accepts guest access"
