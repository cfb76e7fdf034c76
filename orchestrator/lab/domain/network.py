"""NT network access validation for an SMB session to a share (KB Q103390).

- account exists, password right: success (then the share ACL decides);
- account exists, password wrong: 1326, counted by the lockout policy; no Guest fallback;
- account unknown to the server's authority and its trusted domain: the Guest *of the server
  being accessed* is tried (domain Guest on a DC, the local Guest on a member server), and
  only if it is enabled and, in the modern era, not blocked by a default that Microsoft Learn
  documents: "Deny access to this computer from the network" holds Guest, the SMB client
  refuses guest logons ("Enable insecure guest logons in SMB2 and SMB3"), and "Accounts: Limit
  local account use of blank passwords to console logon only" stops a member's local Guest.
"""

from __future__ import annotations

import enum

from orchestrator.lab.contract import AuthOutcome, SecureString
from orchestrator.lab.domain import lockout
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import AccountStore, UserAccount
from orchestrator.lab.domain.host import Host, Share
from orchestrator.lab.domain.principals import Resolved, effective_sids, split_account
from orchestrator.lab.domain.state import LabState


class Access(enum.Enum):
    """The result of one share access attempt; the Win32 error it maps to is the value."""

    GRANTED = 0
    GRANTED_AS_GUEST = -1
    ACCESS_DENIED = 5
    BAD_NETPATH = 53
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
    if sids.canonical(guest.sid) in server.deny_network_logon:
        return Access.LOGON_FAILURE  # SeDenyNetworkLogonRight holds Guest
    if not client.allow_insecure_guest_client:
        return Access.ACCESS_DENIED  # SMB2/3 client refuses guest logons
    if server.sam is not None and server.limit_blank_password_use and not guest.has_password:
        return Access.LOGON_FAILURE  # local account with a blank password, network logon
    return _authorize(state, server, share, Resolved(guest, store), Access.GRANTED_AS_GUEST)


def _authorize(state: LabState, server: Host, share: Share, who: Resolved, ok: Access) -> Access:
    token = effective_sids(state, server, who, state.now())
    return ok if token & share.readers else Access.ACCESS_DENIED
