"""NT network access validation for the CAP share (Q103390): when Guest is used."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.network import Access, share_access

from .conftest import call, ok, run

OLD = SecureString("Tb1-Client-1999")
WORKSTATION = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters"
INSECURE_GUEST = "AllowInsecureGuestAuth"


def _access(lab: DomainBackend, cap: str, account: str, password: SecureString = OLD) -> Access:
    with lab.inspect() as state:
        client, server = state.host("WKS0001"), state.host(cap)
        assert client is not None
        assert server is not None
        share = server.shares["cap_tb1"]
        return share_access(state, client, server, share, account=account, pwd=password)


def _open_dc_guest(lab: DomainBackend) -> None:
    ok(run(lab, "DC1", call("Enable-ADAccount", "Guest")))
    ok(run(lab, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))


def _open_member_guest(lab: DomainBackend, host: str = "CAP1") -> None:
    sid = lab.local_account(host, "Guest").sid  # type: ignore[union-attr]
    ok(run(lab, host, call("Enable-LocalUser", SID=sid)))
    ok(run(lab, host, call("Add-LocalGroupMember", SID="S-1-5-32-545", Member=[sid])))


def test_existing_account_with_a_wrong_password_never_falls_back_to_guest(
    tb1: DomainBackend,
) -> None:
    """Guest enabled everywhere, yet an existing account with a bad password fails: 1326."""
    _open_dc_guest(tb1)
    _open_member_guest(tb1)
    assert _access(tb1, "DC1", "CONTOSO\\SMSClient_TB1") is Access.LOGON_FAILURE
    assert _access(tb1, "CAP1", "CONTOSO\\SMSClient_TB1") is Access.LOGON_FAILURE
    assert tb1.ad_account("SMSClient_TB1").bad_pwd_count == 2  # type: ignore[union-attr]


def test_unknown_account_uses_the_dc_guest_only_in_domain_users(tb1: DomainBackend) -> None:
    """CAP on a DC: the domain Guest must be enabled AND in Domain Users (Q236052)."""
    gone = "CONTOSO\\SMSClient_OLD"
    assert _access(tb1, "DC1", gone) is Access.LOGON_FAILURE
    ok(run(tb1, "DC1", call("Enable-ADAccount", "Guest")))
    assert _access(tb1, "DC1", gone) is Access.ACCESS_DENIED
    ok(run(tb1, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    assert _access(tb1, "DC1", gone) is Access.GRANTED_AS_GUEST


def test_member_cap_needs_its_own_guest_in_local_users(tb1: DomainBackend) -> None:
    """CAP on a member: the local Guest in local Users; the domain Guest does not count."""
    gone = "CONTOSO\\SMSClient_OLD"
    _open_dc_guest(tb1)
    assert _access(tb1, "CAP1", gone) is Access.LOGON_FAILURE
    sid = tb1.local_account("CAP1", "Guest").sid  # type: ignore[union-attr]
    ok(run(tb1, "CAP1", call("Enable-LocalUser", SID=sid)))
    assert _access(tb1, "CAP1", gone) is Access.ACCESS_DENIED
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=["Guest"])))  # the trap
    assert _access(tb1, "CAP1", gone) is Access.ACCESS_DENIED
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=[sid])))
    assert _access(tb1, "CAP1", gone) is Access.GRANTED_AS_GUEST


def test_right_password_is_granted_through_domain_users(tb1: DomainBackend) -> None:
    """The current password works on both CAP kinds (Domain Users, or local Users holding it)."""
    current = SecureString("Tb1-Client-2000")
    assert _access(tb1, "DC1", "CONTOSO\\SMSClient_TB1", current) is Access.GRANTED
    assert _access(tb1, "CAP1", "CONTOSO\\SMSClient_TB1", current) is Access.GRANTED


def test_ttl_membership_counts_only_while_valid(tb1: DomainBackend) -> None:
    """Guest in Domain Users with a PAM TTL grants access until the TTL ends."""
    with tb1.inspect() as state:
        state.ad.pam_enabled = True
    ok(run(tb1, "DC1", call("Enable-ADAccount", "Guest")))
    ok(
        run(
            tb1,
            "DC1",
            call(
                "Add-ADGroupMember",
                "Domain Users",
                ["Guest"],
                MemberTimeToLive=timedelta(minutes=10),
            ),
        )
    )
    assert _access(tb1, "DC1", "CONTOSO\\gone") is Access.GRANTED_AS_GUEST
    tb1.advance(timedelta(minutes=10))
    assert _access(tb1, "DC1", "CONTOSO\\gone") is Access.ACCESS_DENIED


def test_modern_barriers_block_guest(tb1_modern: DomainBackend) -> None:
    """Modern era: Deny network logon holds Guest, so the Guest path fails."""
    _open_dc_guest(tb1_modern)
    _open_member_guest(tb1_modern)
    assert _access(tb1_modern, "DC1", "CONTOSO\\gone") is Access.LOGON_FAILURE
    assert _access(tb1_modern, "CAP1", "CONTOSO\\gone") is Access.LOGON_FAILURE
    with tb1_modern.inspect() as state:
        for name in ("DC1", "CAP1"):
            host = state.host(name)
            assert host is not None
            host.deny_network_logon.clear()
    assert _access(tb1_modern, "DC1", "CONTOSO\\gone") is Access.ACCESS_DENIED  # SMB client
    ok(run(tb1_modern, "WKS0001", call("Set-ItemProperty", WORKSTATION, INSECURE_GUEST, 1)))
    assert _access(tb1_modern, "DC1", "CONTOSO\\gone") is Access.GRANTED_AS_GUEST
    assert _access(tb1_modern, "CAP1", "CONTOSO\\gone") is Access.LOGON_FAILURE  # blank pwd


def test_member_cap_without_a_dc_cannot_validate_domain_accounts(tb1: DomainBackend) -> None:
    """Pass-through needs a DC: with every DC down, a domain account cannot log on."""
    tb1.set_host_up("DC1", False)
    current = SecureString("Tb1-Client-2000")
    assert _access(tb1, "CAP1", "CONTOSO\\SMSClient_TB1", current) is Access.NO_LOGON_SERVERS
    assert _access(tb1, "DC1", "CONTOSO\\SMSClient_TB1", current) is Access.BAD_NETPATH
