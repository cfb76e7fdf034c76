"""Q236052 method 1 without uninstalling, as an admin does it over WinRM: a one-shot task
running the logon point's Smsman.exe /q as SYSTEM, started with Start-ScheduledTask."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from xml.sax.saxutils import escape

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.sms import ClientHealth
from orchestrator.lab.domain.tasks import SCHED_S_TASK_HAS_NOT_RUN

from .conftest import SWITCH, call, failed, hourly, ok, run
from .tasks import task_xml

CLIENTS = ("WKS0001", "WKS0002", "WKS0003", "WKS0004", "WKS0005")
OLD = "CONTOSO\\SMSClient_TB1"
NEW = "CONTOSO\\SMSClient2_TB1"
LOCAL_SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"


def repair_xml(command: str, arguments: str = "/q") -> str:
    """A task with no trigger (run on demand), principal SYSTEM, one Exec action."""
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Principals><Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings><Enabled>true</Enabled><AllowStartOnDemand>true</AllowStartOnDemand></Settings>
  <Actions Context="Author">
    <Exec><Command>{escape(command)}</Command><Arguments>{escape(arguments)}</Arguments></Exec>
  </Actions>
</Task>"""


def smsman_path(lab: DomainBackend) -> str:
    """What the site says: Get-CMSite's SmsmanPath."""
    path = ok(run(lab, "SITE1", call("Get-CMSite")))[0].properties["SmsmanPath"]
    assert isinstance(path, str)
    return path


def repair(lab: DomainBackend, client: str, command: str) -> dict[str, object]:
    """Register, start, read the task's info, unregister: the admin's four calls."""
    xml = repair_xml(command)
    ok(run(lab, client, call("Register-ScheduledTask", "SmsRepair", Xml=xml, Force=SWITCH)))
    ok(run(lab, client, call("Start-ScheduledTask", "SmsRepair")))
    (task,) = ok(run(lab, client, call("Get-ScheduledTaskInfo", "SmsRepair")))
    info: dict[str, object] = task.properties
    ok(run(lab, client, call("Unregister-ScheduledTask", "SmsRepair", Confirm=False)))
    return info


def _known(lab: DomainBackend, client: str) -> list[tuple[str, SecureString]]:
    with lab.inspect() as state:
        found = state.client(client)
        assert found is not None
        return [(k.name, k.password) for k in found.known_accounts]


def test_task_runs_the_logon_points_smsman_as_system(tb1: DomainBackend) -> None:
    """Start-Process of the UNC path fails over WinRM (double hop), while the task reaches it
    as the computer account: Smsman exits 0, LastRunTime is the client's clock and the failing
    client now holds the site's account with its current password."""
    unc = smsman_path(tb1)
    assert unc == "\\\\SITE1\\SMSLOGON\\x86.bin\\00000409\\Smsman.exe"
    denied = failed(run(tb1, "WKS0001", call("Start-Process", unc, ["/q"])))
    assert denied.message.endswith("Access is denied.")
    tb1.advance(timedelta(minutes=1))
    assert tb1.client_status("WKS0001").health is ClientHealth.Failing  # type: ignore[union-attr]
    tb1.set_clock_skew("WKS0001", timedelta(minutes=3))
    info = repair(tb1, "WKS0001", unc)
    assert info["LastTaskResult"] == 0
    assert info["LastRunTime"] == tb1.now() + timedelta(minutes=3)
    assert info["NumberOfMissedRuns"] == 0
    with tb1.inspect() as state:
        current = state.ad.store.user("SMSClient_TB1")
        assert current is not None
        assert _known(tb1, "WKS0001") == [(OLD, current.password)]


def test_non_destructive_repair_of_every_client_after_unlocking(tb1: DomainBackend) -> None:
    """No new account, nothing uninstalled: unlock SMSClient_TB1, repair each client with the
    task, and every client checks in with the current password; the account stays unlocked."""
    tb1.advance(timedelta(minutes=1))
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    ok(run(tb1, "DC1", call("Unlock-ADAccount", "SMSClient_TB1")))
    unc = smsman_path(tb1)
    results = {client: repair(tb1, client, unc)["LastTaskResult"] for client in CLIENTS}
    assert set(results.values()) == {0}
    tb1.advance(timedelta(hours=2))
    assert {c.health for c in tb1.clients()} == {ClientHealth.CheckedIn}
    assert {c.installed for c in tb1.clients()} == {True}
    assert not tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]


def test_repair_teaches_the_new_account_and_the_client_checks_in(tb1: DomainBackend) -> None:
    """With a second account at the site and the old one deleted, the repaired client learns
    the new one (current password) and checks in; unrepaired clients keep failing."""
    password = SecureString("Tb1-Second-2000")
    ok(run(tb1, "DC1", call("New-ADUser", "SMSClient2_TB1", AccountPassword=password)))
    ok(run(tb1, "DC1", call("Enable-ADAccount", "SMSClient2_TB1")))
    ok(run(tb1, "SITE1", call("New-CMClientConnectionAccount", NEW)))
    ok(run(tb1, "SITE1", call("Remove-CMClientConnectionAccount", OLD)))
    ok(run(tb1, "DC1", call("Remove-ADUser", "SMSClient_TB1", Confirm=False)))
    assert repair(tb1, "WKS0002", smsman_path(tb1))["LastTaskResult"] == 0
    assert _known(tb1, "WKS0002") == [(NEW, password)]
    tb1.advance(timedelta(hours=1, minutes=1))
    status = {c.host: c.health for c in tb1.clients()}
    assert status.pop("WKS0002") is ClientHealth.CheckedIn
    assert set(status.values()) == {ClientHealth.Failing}


def test_last_task_result_is_smsmans_exit_code() -> None:
    """Both logon methods disabled at the site: Smsman exits 1, which LastTaskResult shows,
    and the client is left as it was."""
    overrides = dataclasses.replace(hourly(), logon_discovery=False, logon_installation=False)
    lab = DomainBackend.from_scenario("tb1-lockout", overrides, manual_clock=True)
    before = _known(lab, "WKS0001")
    assert repair(lab, "WKS0001", smsman_path(lab))["LastTaskResult"] == 1
    assert _known(lab, "WKS0001") == before


def test_unreachable_or_missing_smsman_fails_the_task(tb1: DomainBackend) -> None:
    """The logon point down: 0x80070035; a share without the file: 0x80070002; an unknown
    share: 0x80070043. Nothing ran, so the client is unchanged."""
    unc = smsman_path(tb1)
    before = _known(tb1, "WKS0001")
    tb1.set_host_up("SITE1", False)
    assert repair(tb1, "WKS0001", unc)["LastTaskResult"] == 0x80070035
    tb1.set_host_up("SITE1", True)
    missing = unc.replace("00000409", "00000407")
    assert repair(tb1, "WKS0001", missing)["LastTaskResult"] == 0x80070002
    no_share = unc.replace("SMSLOGON", "NOSUCH")
    assert repair(tb1, "WKS0001", no_share)["LastTaskResult"] == 0x80070043
    assert _known(tb1, "WKS0001") == before


def test_local_copy_removed_by_uninstall_leaves_only_the_logon_point() -> None:
    """With smsman_survives_uninstall off, after /u the local Smsman.exe is gone (the task
    gets 0x80070002) and the logon point's copy reinstalls the client."""
    overrides = dataclasses.replace(hourly(), smsman_survives_uninstall=False)
    lab = DomainBackend.from_scenario("tb1-lockout", overrides, manual_clock=True)
    xml = repair_xml(LOCAL_SMSMAN, "/u /q")
    ok(run(lab, "WKS0001", call("Register-ScheduledTask", "Uninstall", Xml=xml)))
    ok(run(lab, "WKS0001", call("Start-ScheduledTask", "Uninstall")))
    assert not lab.client_status("WKS0001").installed  # type: ignore[union-attr]
    assert repair(lab, "WKS0001", LOCAL_SMSMAN)["LastTaskResult"] == 0x80070002
    assert repair(lab, "WKS0001", smsman_path(lab))["LastTaskResult"] == 0
    assert lab.client_status("WKS0001").installed  # type: ignore[union-attr]


def test_start_on_demand_keeps_a_time_trigger(tb1: DomainBackend) -> None:
    """Start-ScheduledTask runs a task whose one-shot trigger is still ahead without using the
    trigger up: NextRunTime still shows it, and it fires then."""
    at = tb1.now() + timedelta(hours=1)
    xml = task_xml(at, command=smsman_path(tb1), arguments="/q")
    ok(run(tb1, "WKS0001", call("Register-ScheduledTask", "Later", Xml=xml)))
    assert tb1.task_info("WKS0001", "Later").last_result == SCHED_S_TASK_HAS_NOT_RUN  # type: ignore[union-attr]
    ok(run(tb1, "WKS0001", call("Start-ScheduledTask", "Later")))
    info = ok(run(tb1, "WKS0001", call("Get-ScheduledTaskInfo", "Later")))[0].properties
    assert (info["LastTaskResult"], info["LastRunTime"], info["NextRunTime"]) == (0, tb1.now(), at)
    tb1.advance(timedelta(hours=1))
    info = ok(run(tb1, "WKS0001", call("Get-ScheduledTaskInfo", "Later")))[0].properties
    assert (info["LastRunTime"], info["NextRunTime"]) == (at, None)
