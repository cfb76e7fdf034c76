"""Scheduled tasks: the cmdlets' errors, and triggers firing on the lab clock."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.tasks import TaskState

from .conftest import SWITCH, call, failed, ok, only_error, run
from .tasks import task_xml

PROMPT = "A command that prompts the user failed because the host program or the command type"


def _register(lab: DomainBackend, host: str, name: str, xml: str, **extra: object) -> None:
    ok(run(lab, host, call("Register-ScheduledTask", TaskName=name, Xml=xml, **extra)))


def _failsafe_member(lab: DomainBackend) -> str:
    """The failsafe's action for a member-server CAP: disable the local Guest, drop it from Users."""
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    return (
        f"Disable-LocalUser -SID '{guest.sid}'; "
        f"Remove-LocalGroupMember -SID 'S-1-5-32-545' -Member '{guest.sid}'"
    )


def _open_guest_on_cap1(lab: DomainBackend) -> str:
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    ok(run(lab, "CAP1", call("Enable-LocalUser", SID=guest.sid)))
    ok(run(lab, "CAP1", call("Add-LocalGroupMember", SID="S-1-5-32-545", Member=[guest.sid])))
    return guest.sid


def test_register_returns_a_ready_task_that_has_not_run(tb1: DomainBackend) -> None:
    """Register-ScheduledTask -Xml: an MSFT_ScheduledTask in state Ready; LastTaskResult 267011."""
    at = tb1.now() + timedelta(hours=2)
    task = ok(
        run(
            tb1,
            "CAP1",
            call(
                "Register-ScheduledTask", "DeadMan-1", Xml=task_xml(at, end=at + timedelta(hours=1))
            ),
        )
    )[0]
    assert task.properties["State"] is TaskState.Ready
    assert task.type_names[0].endswith("MSFT_ScheduledTask")
    info = ok(run(tb1, "CAP1", call("Get-ScheduledTaskInfo", "DeadMan-1")))[0].properties
    assert info["LastTaskResult"] == 267011
    assert info["NextRunTime"] == at
    assert info["LastRunTime"] is None


def test_registering_twice_without_force(tb1: DomainBackend) -> None:
    """An existing name without -Force: non-terminating HRESULT 0x800700b7."""
    xml = task_xml(tb1.now() + timedelta(hours=1))
    _register(tb1, "CAP1", "T", xml)
    record = only_error(run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml)))
    assert record.message == "Cannot create a file when that file already exists."
    assert record.fully_qualified_error_id == "HRESULT 0x800700b7,Register-ScheduledTask"
    assert record.category == "ResourceExists"
    assert record.exception_type == "Microsoft.Management.Infrastructure.CimException"
    assert (record.target_name, record.target_type) == (
        "PS_ScheduledTask",
        "Root/Microsoft/Windows/TaskScheduler/PS_ScheduledTask",
    )
    stopped = failed(
        run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml, ErrorAction="Stop"))
    )
    assert stopped.fully_qualified_error_id == record.fully_qualified_error_id
    _register(tb1, "CAP1", "T", xml, Force=SWITCH)


def test_delete_expired_without_end_boundary_is_missing_node(tb1: DomainBackend) -> None:
    """DeleteExpiredTaskAfter without an EndBoundary: SCHED_E_MISSINGNODE, non-terminating."""
    xml = task_xml(tb1.now() + timedelta(hours=1), delete_after="P1D")
    record = only_error(run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml)))
    assert record.fully_qualified_error_id == "HRESULT 0x80041319,Register-ScheduledTask"
    assert record.message == "The task XML is missing a required element or attribute."
    assert tb1.task_info("CAP1", "T") is None


def test_hostile_xml_is_rejected_safely(tb1: DomainBackend) -> None:
    """A DTD with entities (billion laughs) and plain garbage are malformed task XML."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<Task>&b;</Task>"
    )
    for xml in (bomb, "<Task><Triggers>", "not xml"):
        record = only_error(run(tb1, "CAP1", call("Register-ScheduledTask", "T", Xml=xml)))
        assert record.fully_qualified_error_id == "HRESULT 0x8004131a,Register-ScheduledTask"


def test_unregister_prompts_unless_confirm_false(tb1: DomainBackend) -> None:
    """Unregister-ScheduledTask is ConfirmImpact High: the prompt fails over remoting."""
    _register(tb1, "CAP1", "DeadMan", task_xml(tb1.now() + timedelta(hours=1)))
    record = failed(run(tb1, "CAP1", call("Unregister-ScheduledTask", "DeadMan")))
    assert record.message == (
        'Exception calling "EndProcessing" with "0" argument(s): "' + PROMPT + " does not support "
        "user interaction. The host was attempting to request confirmation with the following "
        "message: Are you sure you want to perform this action?\nPerforming operation 'Delete' "
        "on Target '\\DeadMan'.\""
    )
    assert record.fully_qualified_error_id == "HostException"
    assert record.exception_type == "System.Management.Automation.MethodInvocationException"
    assert tb1.task_info("CAP1", "DeadMan") is not None
    ok(run(tb1, "CAP1", call("Unregister-ScheduledTask", "DeadMan", Confirm=False)))
    assert tb1.task_info("CAP1", "DeadMan") is None


def test_missing_task(tb1: DomainBackend) -> None:
    """A missing task: CmdletizationQuery_NotFound_TaskName, non-terminating, per cmdlet."""
    for cmdlet in ("Get-ScheduledTask", "Unregister-ScheduledTask", "Get-ScheduledTaskInfo"):
        record = only_error(
            run(
                tb1,
                "CAP1",
                call(cmdlet, "Nope", Confirm=False)
                if cmdlet.startswith("Un")
                else call(cmdlet, "Nope"),
            )
        )
        assert record.message == (
            "No MSFT_ScheduledTask objects found with property 'TaskName' equal to 'Nope'.  "
            "Verify the value of the property and retry."
        )
        assert record.fully_qualified_error_id == f"CmdletizationQuery_NotFound_TaskName,{cmdlet}"
        assert record.exception_type == "Microsoft.PowerShell.Cmdletization.Cim.CimJobException"


def test_failsafe_fires_with_nobody_connected(tb1: DomainBackend) -> None:
    """At StartBoundary the action runs as SYSTEM: the member CAP's Guest is closed again."""
    sid = _open_guest_on_cap1(tb1)
    at = tb1.now() + timedelta(hours=2)
    _register(
        tb1,
        "CAP1",
        "DeadMan",
        task_xml(at, end=at + timedelta(hours=1), script=_failsafe_member(tb1)),
    )
    tb1.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]
    tb1.advance(timedelta(seconds=1))
    assert not tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]
    members = ok(run(tb1, "CAP1", call("Get-LocalGroupMember", SID="S-1-5-32-545")))
    assert sid not in [m.properties["SID"] for m in members]
    info = tb1.task_info("CAP1", "DeadMan")
    assert info is not None
    assert (info.last_result, info.last_run_time, info.next_run_time) == (0, at, None)


def test_failsafe_on_a_dc(tb1: DomainBackend) -> None:
    """On a DC the SYSTEM task disables the domain Guest and removes it from Domain Users."""
    ok(run(tb1, "DC1", call("Enable-ADAccount", "Guest")))
    ok(run(tb1, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    guest_sid = tb1.ad_account("Guest").sid  # type: ignore[union-attr]
    script = f"Disable-ADAccount -Identity '{guest_sid}'; Remove-ADGroupMember -Identity 'Domain Users' -Members '{guest_sid}' -Confirm:$false"
    at = tb1.now() + timedelta(minutes=30)
    _register(tb1, "DC1", "DeadMan", task_xml(at, end=at + timedelta(hours=1), script=script))
    tb1.advance(timedelta(minutes=30))
    assert not tb1.ad_account("Guest").enabled  # type: ignore[union-attr]
    assert ok(run(tb1, "DC1", call("Get-ADGroupMember", "Domain Users"))) == []
    assert tb1.task_info("DC1", "DeadMan").last_result == 0  # type: ignore[union-attr]


def test_missed_run_starts_ten_minutes_after_boot_with_an_end_boundary(tb1: DomainBackend) -> None:
    """Host down at the trigger; StartWhenAvailable + EndBoundary: it runs at up + 10 min."""
    sid = _open_guest_on_cap1(tb1)
    at = tb1.now() + timedelta(hours=1)
    _register(
        tb1,
        "CAP1",
        "DeadMan",
        task_xml(at, end=at + timedelta(hours=1), script=_failsafe_member(tb1)),
    )
    tb1.set_host_up("CAP1", False)
    tb1.advance(timedelta(hours=1, minutes=5))
    tb1.set_host_up("CAP1", True)
    info = tb1.task_info("CAP1", "DeadMan")
    assert info is not None
    assert info.state is TaskState.Queued
    tb1.advance(timedelta(minutes=9, seconds=59))
    assert tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]
    tb1.advance(timedelta(seconds=1))
    assert not tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]


def test_missed_run_without_end_boundary_never_runs(tb1: DomainBackend) -> None:
    """Without an EndBoundary StartWhenAvailable does not apply: the run is missed."""
    sid = _open_guest_on_cap1(tb1)
    at = tb1.now() + timedelta(hours=1)
    _register(tb1, "CAP1", "DeadMan", task_xml(at, script=_failsafe_member(tb1)))
    tb1.set_host_up("CAP1", False)
    tb1.advance(timedelta(hours=2))
    tb1.set_host_up("CAP1", True)
    tb1.advance(timedelta(hours=1))
    assert tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]
    info = tb1.task_info("CAP1", "DeadMan")
    assert info is not None
    assert (info.missed_runs, info.last_result) == (1, 267011)


def test_broken_action_fails_the_task(tb1: DomainBackend) -> None:
    """An action outside the simple subset fails with a non-zero LastTaskResult; nothing changes."""
    sid = _open_guest_on_cap1(tb1)
    at = tb1.now() + timedelta(minutes=5)
    _register(
        tb1, "CAP1", "Broken", task_xml(at, script=f"$g = '{sid}'; Disable-LocalUser -SID $g")
    )
    _register(tb1, "CAP1", "Unknown", task_xml(at, script="Disable-Everything -Now"))
    _register(tb1, "CAP1", "NoProgram", task_xml(at, command="C:\\nope.exe", arguments=""))
    tb1.advance(timedelta(minutes=5))
    assert tb1.task_info("CAP1", "Broken").last_result == 1  # type: ignore[union-attr]
    assert tb1.task_info("CAP1", "Unknown").last_result == 1  # type: ignore[union-attr]
    assert tb1.task_info("CAP1", "NoProgram").last_result == 0x80070002  # type: ignore[union-attr]
    assert tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]


def test_exit_code_follows_the_last_statement(tb1: DomainBackend) -> None:
    """powershell.exe -Command exits 1 when the last statement failed, 0 if an earlier one did."""
    at = tb1.now() + timedelta(minutes=5)
    _register(
        tb1, "CAP1", "LastFails", task_xml(at, script="Get-Date; Get-LocalUser -Name 'Nobody'")
    )
    _register(
        tb1, "CAP1", "FirstFails", task_xml(at, script="Get-LocalUser -Name 'Nobody'; Get-Date")
    )
    tb1.advance(timedelta(minutes=5))
    assert tb1.task_info("CAP1", "LastFails").last_result == 1  # type: ignore[union-attr]
    assert tb1.task_info("CAP1", "FirstFails").last_result == 0  # type: ignore[union-attr]


def test_expired_task_is_deleted(tb1: DomainBackend) -> None:
    """After EndBoundary + DeleteExpiredTaskAfter the task is gone."""
    at = tb1.now() + timedelta(hours=1)
    _register(
        tb1,
        "CAP1",
        "DeadMan",
        task_xml(at, end=at + timedelta(hours=1), delete_after="PT1H", script="Get-Date"),
    )
    tb1.advance(timedelta(hours=3) - timedelta(seconds=1))
    assert tb1.task_info("CAP1", "DeadMan") is not None
    tb1.advance(timedelta(seconds=1))
    assert tb1.task_info("CAP1", "DeadMan") is None


def test_trigger_follows_the_hosts_skewed_clock(tb1: DomainBackend) -> None:
    """A host whose clock is an hour fast fires an hour early in lab time."""
    tb1.set_clock_skew("CAP1", timedelta(hours=1))
    host_now = ok(run(tb1, "CAP1", call("Get-Date")))[0]
    assert host_now == tb1.now() + timedelta(hours=1)
    at = host_now + timedelta(hours=2)
    _register(tb1, "CAP1", "Skewed", task_xml(at, script="Get-Date"))
    tb1.advance(timedelta(hours=1, minutes=59))
    assert tb1.task_info("CAP1", "Skewed").last_result == 267011  # type: ignore[union-attr]
    tb1.advance(timedelta(hours=1))
    assert tb1.task_info("CAP1", "Skewed").last_result == 0  # type: ignore[union-attr]


def test_start_scheduled_task_runs_now(tb1: DomainBackend) -> None:
    """Start-ScheduledTask runs the action at once."""
    sid = _open_guest_on_cap1(tb1)
    _register(
        tb1, "CAP1", "Now", task_xml(tb1.now() + timedelta(days=1), script=_failsafe_member(tb1))
    )
    ok(run(tb1, "CAP1", call("Start-ScheduledTask", "Now")))
    assert not tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]


def test_a_start_boundary_already_past_at_registration(tb1: DomainBackend) -> None:
    """A trigger in the past never runs, unless StartWhenAvailable with a future EndBoundary
    queues it 10 minutes on."""
    past = tb1.now() - timedelta(minutes=5)
    _register(tb1, "CAP1", "Late", task_xml(past, script="Get-Date"))
    _register(
        tb1, "CAP1", "Queued", task_xml(past, end=past + timedelta(hours=1), script="Get-Date")
    )
    tb1.advance(timedelta(minutes=9, seconds=59))
    assert tb1.task_info("CAP1", "Queued").last_result == 267011  # type: ignore[union-attr]
    tb1.advance(timedelta(seconds=1))
    assert tb1.task_info("CAP1", "Queued").last_result == 0  # type: ignore[union-attr]
    late = tb1.task_info("CAP1", "Late")
    assert late is not None
    assert (late.last_result, late.next_run_time) == (267011, None)
