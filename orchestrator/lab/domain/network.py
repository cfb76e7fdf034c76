"""NT network access validation for an SMB session to a share (KB Q103390).

- account exists, password right: success (then the share ACL decides);
- account exists, password wrong: 1326, counted by the lockout policy; no Guest fallback;
- account unknown to the server's authority and its trusted domain: the Guest *of the server
  being accessed* is tried (domain Guest on a DC, the local Guest on a member server), and
  only if it is enabled and not blocked by a barrier modern Windows sets by default (Microsoft
  Learn): "Deny access to this computer from the network" holds Guest (a fidelity switch: a
  user right has no registry value to read); the server's LimitBlankPasswordUse stops a
  member's local Guest, blank password by default ("Accounts: Limit local account use of blank
  passwords to console logon only"); the client's AllowInsecureGuestAuth = 0 makes it refuse
  the guest session ("Guest access in SMB2 and SMB3 disabled in Windows"). The last two are
  read from the hosts' registries (guest_policy.py), so an admin can lift them.

SYSTEM acts as the computer on the network (Microsoft Learn, "LocalSystem Account"): it reaches
a share as DOMAIN\\HOST$ (Everyone, Authenticated Users, Domain Computers) and needs no
delegated credentials, so a scheduled task makes no second hop ("Making the second hop in
PowerShell Remoting", Microsoft Learn).
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from orchestrator.lab.contract import AuthOutcome, SecureString
from orchestrator.lab.domain import guest_policy, lockout
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import AccountStore, UserAccount
from orchestrator.lab.domain.host import Host, Share, normalize_path
from orchestrator.lab.domain.principals import Resolved, effective_sids, split_account
from orchestrator.lab.domain.state import LabState


class Access(enum.Enum):
    """The result of one share access attempt; the Win32 error it maps to is the value."""

    GRANTED = 0
    GRANTED_AS_GUEST = -1
    FILE_NOT_FOUND = 2
    ACCESS_DENIED = 5
    BAD_NETPATH = 53
    BAD_NET_NAME = 67
    LOGON_FAILURE = 1326
    ACCOUNT_DISABLED = 1331
    ACCOUNT_LOCKED_OUT = 1909
    NO_LOGON_SERVERS = 1311

    @property
    def granted(self) -> bool:
        """True for either kind of success."""
        return self in (Access.GRANTED, Access.GRANTED_AS_GUEST)


_OUTCOME = {
    AuthOutcome.BAD_PASSWORD: Access.LOGON_FAILURE,
    AuthOutcome.LOCKED: Access.ACCOUNT_LOCKED_OUT,
    AuthOutcome.DISABLED: Access.ACCOUNT_DISABLED,
}


def _authority(state: LabState, server: Host, domain: str | None) -> AccountStore | None:
    """Where the server looks the account up: its own SAM, or the (trusted) domain."""
    if domain is None or domain.lower() in (state.ad.netbios.lower(), state.ad.dns_root):
        return state.ad.store
    if domain.lower() == server.name.lower():
        return state.store_for(server)
    return None  # an unknown domain: not found anywhere


def share_access(
    state: LabState, client: Host, server: Host, share: Share, *, account: str, pwd: SecureString
) -> Access:
    """One SMB session setup from `client` to `server` plus the share's read check."""
    if not server.up:
        return Access.BAD_NETPATH
    domain, name = split_account(account)
    store = _authority(state, server, domain)
    if store is state.ad.store and not (server.is_dc or state.dc_reachable()):
        return Access.NO_LOGON_SERVERS
    user = store.user(name) if store is not None else None
    if user is None:
        return _as_guest(state, client, server, share)
    policy = state.policy_for(server, user)
    outcome = lockout.check_logon(user, policy, state.now(), pwd)
    if outcome is not AuthOutcome.OK:
        return _OUTCOME[outcome]
    assert store is not None
    return _authorize(state, server, share, Resolved(user, store), Access.GRANTED)


def server_guest(state: LabState, server: Host) -> tuple[UserAccount, AccountStore]:
    """The Guest that counts: the domain Guest on a DC, the local -501 on a member (Q103390)."""
    store = state.store_for(server)
    guest = store.user_by_sid(f"{store.sid}-{sids.RID_GUEST}")
    assert guest is not None
    return guest, store


def _as_guest(state: LabState, client: Host, server: Host, share: Share) -> Access:
    guest, store = server_guest(state, server)
    if not guest.enabled:
        return Access.LOGON_FAILURE
    era = state.fidelity.era
    if sids.canonical(guest.sid) in server.deny_network_logon:
        return Access.LOGON_FAILURE  # SeDenyNetworkLogonRight holds Guest
    local_guest = server.sam is not None  # on a DC Guest is a domain account: the rule is moot
    if local_guest and not guest.has_password and guest_policy.limits_blank_passwords(server, era):
        return Access.LOGON_FAILURE  # a local account with a blank password, network logon
    if not guest_policy.allows_insecure_guest(client, era):
        return Access.ACCESS_DENIED  # the SMB client refuses the session the server granted
    return _authorize(state, server, share, Resolved(guest, store), Access.GRANTED_AS_GUEST)


def _authorize(state: LabState, server: Host, share: Share, who: Resolved, ok: Access) -> Access:
    token = effective_sids(state, server, who, state.now())
    return ok if token & share.readers else Access.ACCESS_DENIED


class UncTarget(NamedTuple):
    """What a UNC path names: the server, its share, the file's path on the server."""

    server: Host
    share: Share
    local_path: str


def is_unc(path: str) -> bool:
    """True for \\\\server\\share... (or //server/share...)."""
    return path.startswith(("\\\\", "//"))


def unc_target(state: LabState, path: str) -> UncTarget | Access:
    """The server, share and local path behind a UNC path, or why it cannot be reached:
    BAD_NETPATH (no such server, or it is down), BAD_NET_NAME (no such share)."""
    parts = normalize_path(path).lstrip("\\").split("\\", 2)
    server = state.host(parts[0])
    if server is None or not server.up:
        return Access.BAD_NETPATH
    share = server.shares.get(parts[1].lower()) if len(parts) > 1 else None
    if share is None:
        return Access.BAD_NET_NAME
    local = share.path + ("\\" + parts[2] if len(parts) > 2 else "")
    return UncTarget(server, share, local)


def computer_token(state: LabState) -> frozenset[str]:
    """The groups of a domain member's computer account (DOMAIN\\HOST$) on the network."""
    computers = f"{state.ad.sid}-{sids.RID_DOMAIN_COMPUTERS}"
    return frozenset(
        sids.canonical(s) for s in (sids.EVERYONE, sids.AUTHENTICATED_USERS, computers)
    )


def computer_reads(state: LabState, path: str) -> Access:
    """A member's SYSTEM (its computer account on the network) opening a file by UNC path:
    GRANTED, or the Win32 error it gets."""
    target = unc_target(state, path)
    if isinstance(target, Access):
        return target
    if not (target.server.is_dc or state.dc_reachable()):
        return Access.NO_LOGON_SERVERS  # a member server validates the domain account at a DC
    if not computer_token(state) & target.share.readers:
        return Access.ACCESS_DENIED
    return Access.GRANTED if target.server.has_file(target.local_path) else Access.FILE_NOT_FOUND
