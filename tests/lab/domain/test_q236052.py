"""The lab's end-to-end scenarios and the article's three recovery methods (KB Q236052),
driven through the cmdlets a playbook would send."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import AuthOutcome, SecureString
from orchestrator.lab.domain.sms import ClientHealth

from .conftest import SWITCH, call, failed, hourly, ok, only_error, run
from .tasks import task_xml

NEW = "CONTOSO\\SMSClient2_TB1"
NEW_PASSWORD = SecureString("Tb1-Second-2000")
KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
VALUE = "Site Config Last Checked"
SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"


def _health(lab: DomainBackend) -> set[ClientHealth]:
    return {c.health for c in lab.clients()}


def _new_account(lab: DomainBackend) -> None:
    """Step 1: another client connection account, in AD and at the site."""
    ok(
        run(
            lab,
            "DC1",
            call("New-ADUser", "SMSClient2_TB1", AccountPassword=NEW_PASSWORD, Enabled=True),
        )
    )
    ok(run(lab, "SITE1", call("New-CMClientConnectionAccount", NEW, SiteCode="TB1")))


def _delete_old_account(lab: DomainBackend) -> None:
    """Step 2: delete SMSClient_TB1 from AD and from the site."""
    ok(run(lab, "DC1", call("Remove-ADUser", "SMSClient_TB1", Confirm=False)))
    ok(run(lab, "SITE1", call("Remove-CMClientConnectionAccount", "CONTOSO\\SMSClient_TB1")))


def _open_guests(lab: DomainBackend, member: str = "CAP1", member_by_sid: bool = True) -> str:
    """Steps 3-4: domain Guest + Domain Users; the member CAP's local Guest + local Users."""
    ok(run(lab, "DC1", call("Enable-ADAccount", "Guest")))
    ok(run(lab, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    sid = lab.local_account(member, "Guest").sid  # type: ignore[union-attr]
    ok(run(lab, member, call("Enable-LocalUser", SID=sid)))
    ok(
        run(
            lab,
            member,
            call(
                "Add-LocalGroupMember",
                SID="S-1-5-32-545",
                Member=[sid if member_by_sid else "Guest"],
            ),
        )
    )
    return sid


def _close_guests(lab: DomainBackend, sid: str, member: str = "CAP1") -> None:
    """Step 5: disable the Guests again."""
    ok(run(lab, "DC1", call("Remove-ADGroupMember", "Domain Users", ["Guest"], Confirm=False)))
    ok(run(lab, "DC1", call("Disable-ADAccount", "Guest")))
    ok(run(lab, member, call("Remove-LocalGroupMember", SID="S-1-5-32-545", Member=[sid])))
    ok(run(lab, member, call("Disable-LocalUser", SID=sid)))


def test_method_3_recovers_every_client(tb1: DomainBackend) -> None:
    """The Guest method done right: all clients check in, learn the new account, and keep
    checking in once Guest is closed again."""
    tb1.advance(timedelta(minutes=1))
    _new_account(tb1)
    _delete_old_account(tb1)
    sid = _open_guests(tb1)
    tb1.advance(timedelta(hours=1))
    assert _health(tb1) == {ClientHealth.CheckedIn}
    summary = ok(run(tb1, "SITE1", call("Get-CMClientStatusSummary", Account=NEW)))[0].properties
    assert (summary["CheckedInRatio"], summary["AwareRatio"]) == (1.0, 1.0)
    _close_guests(tb1, sid)
    tb1.advance(timedelta(hours=24))
    assert _health(tb1) == {ClientHealth.CheckedIn}
    assert {c.known_accounts for c in tb1.clients()} == {(NEW,)}


def test_1_the_orchestrator_locks_out_its_own_admin(
    tb1: DomainBackend, tb1_modern: DomainBackend
) -> None:
    """Retrying a wrong admin password locks the account at the threshold (NT4 5,
    modern 10); the right password then gets the same refusal until the duration passes."""
    for lab, threshold, duration in ((tb1, 5, 30), (tb1_modern, 10, 10)):
        outcomes = [
            lab.record_logon("DC1", "CONTOSO\\labadmin", password_ok=False)
            for _ in range(threshold)
        ]
        assert outcomes[-2:] == [AuthOutcome.BAD_PASSWORD, AuthOutcome.LOCKED]
        assert (
            lab.authenticate("DC1", "CONTOSO\\labadmin", "Lab-Operator-2000!") is AuthOutcome.LOCKED
        )
        lab.advance(timedelta(minutes=duration))
        assert lab.authenticate("DC1", "CONTOSO\\labadmin", "Lab-Operator-2000!") is AuthOutcome.OK


def test_2_nt4_clients_relock_the_account_every_hour(tb1: DomainBackend) -> None:
    """NT4: the lockout lapses after 30 minutes and the next hourly retry relocks it."""
    tb1.advance(timedelta(minutes=1))
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    tb1.advance(timedelta(minutes=44))
    assert not tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    tb1.advance(timedelta(minutes=16))
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]


def test_2_modern_clients_lock_once_their_password_leaves_n2(tb1_modern: DomainBackend) -> None:
    """Modern: silent failures while the stored password is within N-2; after two
    more resets it is older than the exempt depth and the clients lock the account out."""
    tb1_modern.advance(timedelta(hours=2))
    assert not tb1_modern.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    for password in ("Tb1-Client-2001", "Tb1-Client-2002"):
        ok(
            run(
                tb1_modern,
                "DC1",
                call(
                    "Set-ADAccountPassword",
                    "SMSClient_TB1",
                    Reset=SWITCH,
                    NewPassword=SecureString(password),
                ),
            )
        )
    tb1_modern.advance(timedelta(minutes=61))  # 10 tries (5 clients x 2 CAPs) in seconds
    assert tb1_modern.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    assert _health(tb1_modern) == {ClientHealth.Failing}


def test_3_guest_without_deleting_the_old_account_recovers_nobody(tb1: DomainBackend) -> None:
    """Guest opened but SMSClient_TB1 still exists: 1326, no Guest fallback."""
    tb1.advance(timedelta(minutes=1))
    _new_account(tb1)
    _open_guests(tb1)
    tb1.advance(timedelta(hours=3))
    assert _health(tb1) == {ClientHealth.Failing}


def test_4_member_guest_by_name_adds_the_domain_guest(tb1: DomainBackend) -> None:
    """On a member-server CAP, `-Member Guest` adds CONTOSO\\Guest; clients still fail,
    until the local Guest is added by its SID."""
    with tb1.inspect() as state:
        assert state.site is not None
        state.site.cap_hosts = ["CAP1"]
    tb1.advance(timedelta(minutes=1))
    _new_account(tb1)
    _delete_old_account(tb1)
    sid = _open_guests(tb1, member_by_sid=False)
    tb1.advance(timedelta(hours=1))
    assert _health(tb1) == {ClientHealth.Failing}
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", SID="S-1-5-32-545", Member=[sid])))
    tb1.advance(timedelta(hours=1))
    assert _health(tb1) == {ClientHealth.CheckedIn}


def test_5_modern_barriers_defeat_the_guest_method(tb1_modern: DomainBackend) -> None:
    """In the modern era Deny-network-logon and insecure-guest refusal block Guest."""
    tb1_modern.advance(timedelta(minutes=1))
    _new_account(tb1_modern)
    _delete_old_account(tb1_modern)
    _open_guests(tb1_modern)
    tb1_modern.advance(timedelta(hours=2))
    assert _health(tb1_modern) == {ClientHealth.Failing}


def test_6_the_dead_man_switch_closes_guest_when_the_orchestrator_dies(tb1: DomainBackend) -> None:
    """The orchestrator opens Guest, arms a task, and dies: Guest closes at the
    deadline; on a host that was down at the deadline, 10 minutes after it is back."""
    sid = _open_guests(tb1)
    deadline = tb1.now() + timedelta(hours=2)
    guest_sid = tb1.ad_account("Guest").sid  # type: ignore[union-attr]
    dc_action = f"Disable-ADAccount -Identity '{guest_sid}'; Remove-ADGroupMember -Identity 'Domain Users' -Members '{guest_sid}' -Confirm:$false"
    member_action = f"Disable-LocalUser -SID '{sid}'; Remove-LocalGroupMember -SID 'S-1-5-32-545' -Member '{sid}'"
    for host, action in (("DC1", dc_action), ("CAP1", member_action)):
        xml = task_xml(
            deadline, end=deadline + timedelta(hours=1), delete_after="P1D", script=action
        )
        ok(run(tb1, host, call("Register-ScheduledTask", "DeadMan-run1", Xml=xml, Force=SWITCH)))
    tb1.set_host_up("CAP1", False)
    tb1.advance(timedelta(hours=2))
    assert not tb1.ad_account("Guest").enabled  # type: ignore[union-attr]
    assert ok(run(tb1, "DC1", call("Get-ADGroupMember", "Domain Users"))) == []
    tb1.advance(timedelta(minutes=20))
    tb1.set_host_up("CAP1", True)
    tb1.advance(timedelta(minutes=9))
    assert tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]
    tb1.advance(timedelta(minutes=1))
    assert not tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]


def test_7_method_2_needs_the_exact_date_format(tb1: DomainBackend) -> None:
    """A date in the wrong culture leaves the client stuck; the right one orphans it
    on the service restart, and Smsman reinstalls it."""
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, "13.06.1999 06:28:53")))
    ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
    assert tb1.client_status("WKS0001").installed  # type: ignore[union-attr]
    host_now = ok(run(tb1, "WKS0001", call("Get-Date")))[0]
    old = ok(
        run(
            tb1,
            "WKS0001",
            call("Get-Date", host_now - timedelta(days=61), Format="yyyy/MM/dd HH:mm.ss"),
        )
    )[0]
    assert old == "1999/11/04 15:00.00"
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, old)))
    ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
    assert not tb1.client_status("WKS0001").installed  # type: ignore[union-attr]
    _new_account(tb1)
    ok(run(tb1, "WKS0001", call("Start-Process", SMSMAN)))
    tb1.advance(timedelta(minutes=1))
    status = tb1.client_status("WKS0001")
    assert status is not None
    assert status.installed
    assert NEW in status.known_accounts


def test_8_high_impact_cmdlets_need_confirm_false(tb1: DomainBackend) -> None:
    """Remove-ADUser and Unregister-ScheduledTask fail without -Confirm:$false."""
    assert failed(run(tb1, "DC1", call("Remove-ADUser", "SMSClient_TB1"))).exception_type.endswith(
        "HostException"
    )
    ok(
        run(
            tb1,
            "CAP1",
            call("Register-ScheduledTask", "T", Xml=task_xml(tb1.now() + timedelta(hours=1))),
        )
    )
    record = failed(run(tb1, "CAP1", call("Unregister-ScheduledTask", "T")))
    assert "does not support user interaction" in record.message
    assert tb1.ad_account("SMSClient_TB1") is not None
    assert tb1.task_info("CAP1", "T") is not None


def test_9_registering_twice_needs_force_or_stop(tb1: DomainBackend) -> None:
    """The second registration is a non-terminating 0x800700b7 that a playbook must
    catch with -ErrorAction Stop (or avoid with -Force)."""
    xml = task_xml(tb1.now() + timedelta(hours=1))
    ok(run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml)))
    second = run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml))
    assert second.terminating is None
    assert (
        only_error(second).fully_qualified_error_id == "HRESULT 0x800700b7,Register-ScheduledTask"
    )
    stop = failed(
        run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml, ErrorAction="Stop"))
    )
    assert stop.fully_qualified_error_id == "HRESULT 0x800700b7,Register-ScheduledTask"


def test_10_ttl_membership_expires_and_late_clients_fail() -> None:
    """Guest in Domain Users with a PAM TTL: clients inside the TTL recover, clients
    that check in after it expires fail."""
    lab = DomainBackend.from_scenario("tb1-lockout", hourly(clients=4), manual_clock=True)
    with lab.inspect() as state:
        assert state.site is not None
        state.site.cap_hosts = ["DC1"]
        state.ad.pam_enabled = True
        late = state.client("WKS0004")
        assert late is not None
    lab.advance(timedelta(minutes=1))
    _new_account(lab)
    _delete_old_account(lab)
    ok(run(lab, "DC1", call("Enable-ADAccount", "Guest")))
    ok(
        run(
            lab,
            "DC1",
            call(
                "Add-ADGroupMember",
                "Domain Users",
                ["Guest"],
                MemberTimeToLive=timedelta(minutes=30),
            ),
        )
    )
    ok(run(lab, "WKS0001", call("Restart-Service", "Clisvcl")))  # checks in inside the TTL
    assert lab.client_status("WKS0001").health is ClientHealth.CheckedIn  # type: ignore[union-attr]
    lab.advance(timedelta(hours=1))  # the others retry at ~61 minutes: the TTL is gone
    assert lab.client_status("WKS0004").health is ClientHealth.Failing  # type: ignore[union-attr]
    guest = lab.ad_account("Guest")
    assert guest is not None
    assert guest.enabled  # a TTL removes the membership, it does not disable Guest


def test_method_1_smsman_on_every_client(tb1: DomainBackend) -> None:
    """Method 1: with a new account at the site and the old one deleted, running Smsman on
    each client refreshes its accounts and it checks in without any Guest."""
    tb1.advance(timedelta(minutes=1))
    _new_account(tb1)
    _delete_old_account(tb1)
    for client in ("WKS0001", "WKS0002", "WKS0003", "WKS0004", "WKS0005"):
        ok(run(tb1, client, call("Start-Process", SMSMAN, ["/q"])))
    tb1.advance(timedelta(minutes=1))
    assert _health(tb1) == {ClientHealth.CheckedIn}
