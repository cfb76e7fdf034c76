"""The modern era's Guest barriers where an admin looks for them: LimitBlankPasswordUse and
AllowInsecureGuestAuth in each host's registry, read by the network access validation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.network import Access, share_access
from orchestrator.lab.domain.sms import ClientHealth
from orchestrator.lab.scenarios import load_scenario

from .conftest import call, hourly, ok, only_error, run

LSA = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
WORKSTATION = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters"
BLANK = "LimitBlankPasswordUse"
INSECURE = "AllowInsecureGuestAuth"
GONE = "CONTOSO\\SMSClient_OLD"  # an account no authority knows: the Guest path
ANY = SecureString("whatever")  # the Guest path ignores the password
NEW = "CONTOSO\\SMSClient2_TB1"


def _value(lab: DomainBackend, host: str, key: str, name: str) -> object:
    item = ok(run(lab, host, call("Get-ItemProperty", key, name)))[0]
    return item.properties[name]


def _access(lab: DomainBackend, cap: str) -> Access:
    with lab.inspect() as state:
        client, server = state.host("WKS0001"), state.host(cap)
        assert client is not None
        assert server is not None
        share = server.shares["cap_tb1"]
        return share_access(state, client, server, share, account=GONE, pwd=ANY)


def _open_guests(lab: DomainBackend) -> None:
    """Q236052 method 3, steps 3-4: domain Guest in Domain Users, CAP1's Guest in Users."""
    ok(run(lab, "DC1", call("Enable-ADAccount", "Guest")))
    ok(run(lab, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    sid = lab.local_account("CAP1", "Guest").sid  # type: ignore[union-attr]
    ok(run(lab, "CAP1", call("Enable-LocalUser", SID=sid)))
    ok(run(lab, "CAP1", call("Add-LocalGroupMember", SID="S-1-5-32-545", Member=[sid])))


@pytest.mark.parametrize(("fixture", "blank", "insecure"), [("tb1", 0, 1), ("tb1_modern", 1, 0)])
def test_every_host_shows_the_eras_values(
    fixture: str, blank: int, insecure: int, request: pytest.FixtureRequest
) -> None:
    """LimitBlankPasswordUse is a DWORD on every host (1 modern, 0 NT4); clients also have
    AllowInsecureGuestAuth (0 modern, 1 NT4); servers have no such value."""
    lab: DomainBackend = request.getfixturevalue(fixture)
    for host in lab.host_names():
        assert _value(lab, host, LSA, BLANK) == blank
    for host in ("WKS0001", "WKS0005"):
        assert _value(lab, host, WORKSTATION, INSECURE) == insecure
        kind = lab.registry_value(host, WORKSTATION, INSECURE)
        assert kind is not None
        assert kind.kind.name == "DWord"
    error = only_error(run(lab, "CAP1", call("Get-ItemProperty", WORKSTATION, INSECURE)))
    assert error.category == "ObjectNotFound"  # no LanmanWorkstation\Parameters key on servers


def test_insecure_guest_auth_zero_makes_the_client_refuse_guest(tb1_modern: DomainBackend) -> None:
    """Without the Deny right, a DC CAP grants Guest, yet a client with AllowInsecureGuestAuth
    0 refuses it; setting 1 lifts that barrier, setting 0 again restores it."""
    _open_guests(tb1_modern)
    with tb1_modern.inspect() as state:
        for host in state.hosts.values():
            host.deny_network_logon.clear()  # the fidelity switch's barrier, not a value
    assert _access(tb1_modern, "DC1") is Access.ACCESS_DENIED
    ok(run(tb1_modern, "WKS0001", call("Set-ItemProperty", WORKSTATION, INSECURE, 1)))
    assert _access(tb1_modern, "DC1") is Access.GRANTED_AS_GUEST
    ok(run(tb1_modern, "WKS0001", call("Set-ItemProperty", WORKSTATION, INSECURE, 0)))
    assert _access(tb1_modern, "DC1") is Access.ACCESS_DENIED


def test_limit_blank_password_use_stops_a_member_caps_local_guest(
    tb1_modern: DomainBackend,
) -> None:
    """On a member CAP, LimitBlankPasswordUse 1 refuses its blank-password Guest (logon
    failure); 0 lifts it. It is the CAP's value that counts, not the client's."""
    _open_guests(tb1_modern)
    with tb1_modern.inspect() as state:
        for host in state.hosts.values():
            host.deny_network_logon.clear()
    ok(run(tb1_modern, "WKS0001", call("Set-ItemProperty", WORKSTATION, INSECURE, 1)))
    assert _access(tb1_modern, "CAP1") is Access.LOGON_FAILURE
    ok(run(tb1_modern, "WKS0001", call("Set-ItemProperty", LSA, BLANK, 0)))
    assert _access(tb1_modern, "CAP1") is Access.LOGON_FAILURE
    ok(run(tb1_modern, "CAP1", call("Set-ItemProperty", LSA, BLANK, 0)))
    assert _access(tb1_modern, "CAP1") is Access.GRANTED_AS_GUEST


def test_nt4_values_raised_by_an_admin_block_guest(tb1: DomainBackend) -> None:
    """The values count in the NT4 era too: raised to the modern ones, they stop Guest."""
    _open_guests(tb1)
    assert _access(tb1, "CAP1") is Access.GRANTED_AS_GUEST
    ok(run(tb1, "CAP1", call("Set-ItemProperty", LSA, BLANK, 1)))
    assert _access(tb1, "CAP1") is Access.LOGON_FAILURE
    assert _access(tb1, "DC1") is Access.GRANTED_AS_GUEST  # a DC's Guest is a domain account
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", WORKSTATION, INSECURE, 0)))
    assert _access(tb1, "DC1") is Access.ACCESS_DENIED


def test_a_missing_value_means_the_eras_default(
    tb1: DomainBackend, tb1_modern: DomainBackend
) -> None:
    """Removing AllowInsecureGuestAuth leaves the era's default: NT4 accepts Guest, modern
    refuses it."""
    for lab in (tb1, tb1_modern):
        _open_guests(lab)
        with lab.inspect() as state:
            for host in state.hosts.values():
                host.deny_network_logon.clear()
        ok(run(lab, "WKS0001", call("Remove-ItemProperty", WORKSTATION, INSECURE)))
    assert _access(tb1, "DC1") is Access.GRANTED_AS_GUEST
    assert _access(tb1_modern, "DC1") is Access.ACCESS_DENIED


def test_modern_guest_method_recovers_once_every_barrier_is_lifted() -> None:
    """Modern era without the Deny-network-logon switch: Guest opened, the old account gone,
    clients still fail until an admin sets AllowInsecureGuestAuth 1 on them and
    LimitBlankPasswordUse 0 on the member CAP; then every client checks in."""
    scenario = load_scenario("tb1-lockout", hourly(era="modern")).model_copy(
        update={"fidelity": {"guest_denied_network_logon": False}}
    )
    lab = DomainBackend.from_scenario(scenario, manual_clock=True)
    with lab.inspect() as state:
        assert state.site is not None
        state.site.cap_hosts = ["CAP1"]  # a member CAP: both registry barriers apply
    password = SecureString("Tb1-Second-2000")
    ok(
        run(
            lab, "DC1", call("New-ADUser", "SMSClient2_TB1", AccountPassword=password, Enabled=True)
        )
    )
    ok(run(lab, "SITE1", call("New-CMClientConnectionAccount", NEW)))
    ok(run(lab, "SITE1", call("Remove-CMClientConnectionAccount", "CONTOSO\\SMSClient_TB1")))
    ok(run(lab, "DC1", call("Remove-ADUser", "SMSClient_TB1", Confirm=False)))
    _open_guests(lab)
    lab.advance(timedelta(hours=2))
    assert {c.health for c in lab.clients()} == {ClientHealth.Failing}
    ok(run(lab, "CAP1", call("Set-ItemProperty", LSA, BLANK, 0)))
    for client in lab.host_names():
        if client.startswith("WKS"):
            ok(run(lab, client, call("Set-ItemProperty", WORKSTATION, INSECURE, 1)))
    lab.advance(timedelta(hours=1))
    assert {c.health for c in lab.clients()} == {ClientHealth.CheckedIn}
    assert {c.known_accounts for c in lab.clients()} == {(NEW,)}
