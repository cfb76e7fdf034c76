"""The failsafe task on the lab's hosts: it closes Guest at the deadline with nobody connected,
on the host's own clock, after the host was down, and never once disarmed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from orchestrator.commands import SWITCH, Command
from orchestrator.engine.failsafe import FailsafePlan, arm, disarm
from orchestrator.engine.failsafe_script import failsafe_action
from orchestrator.engine.step import drive
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.tasks import TaskState
from orchestrator.modules.task_xml import task_xml

from .conftest import DEADLINE, USERS, Target, open_domain_guest, open_member_guest

SECOND = timedelta(seconds=1)
_END_BOUNDARY = (
    r"<EndBoundary>.*?</EndBoundary>|<DeleteExpiredTaskAfter>.*?</DeleteExpiredTaskAfter>"
)


def test_member_cap_guest_is_closed_at_the_deadline(lab: DomainBackend) -> None:
    """With nobody connected, the member CAP's task disables its Guest and drops it from Users."""
    cap = Target(lab, "CAP1")
    changes = open_member_guest(cap)
    sid = cap.guest().sid
    armed = cap.arm(changes, lab.now() + DEADLINE)
    lab.advance(DEADLINE - SECOND)
    assert cap.guest().enabled
    assert sid in cap.local_members(USERS)
    lab.advance(SECOND)
    assert not cap.guest().enabled
    assert sid not in cap.local_members(USERS)
    info = lab.task_info("CAP1", armed.task_name, armed.task_path)
    assert info is not None
    assert (info.last_result, info.last_run_time) == (0, armed.start)


def test_dc_guest_is_closed_at_the_deadline(lab: DomainBackend) -> None:
    """On a DC the SYSTEM task disables the domain Guest and removes it from Domain Users."""
    dc = Target(lab, "DC1")
    changes = open_domain_guest(dc)
    sid = dc.guest().sid
    armed = dc.arm(changes, lab.now() + DEADLINE)
    lab.advance(DEADLINE - SECOND)
    assert dc.guest().enabled
    assert sid in dc.ad_members("Domain Users")
    lab.advance(SECOND)
    assert not dc.guest().enabled
    assert sid not in dc.ad_members("Domain Users")
    info = lab.task_info("DC1", armed.task_name, armed.task_path)
    assert info is not None
    assert info.last_result == 0


@pytest.mark.parametrize("skew", [timedelta(minutes=7), timedelta(minutes=-7)])
def test_a_skewed_host_fires_at_the_true_deadline(lab: DomainBackend, skew: timedelta) -> None:
    """A host clock 7 minutes fast or slow still closes Guest at the deadline, not 7 early/late."""
    lab.set_clock_skew("CAP1", skew)
    cap = Target(lab, "CAP1")
    changes = open_member_guest(cap)
    deadline = lab.now() + DEADLINE
    armed = cap.arm(changes, deadline)
    assert armed.skew == skew
    assert armed.start == deadline + skew
    lab.advance(DEADLINE - SECOND)
    assert cap.guest().enabled
    lab.advance(SECOND)
    assert not cap.guest().enabled


@pytest.mark.parametrize("end_boundary", [True, False])
def test_a_host_down_at_the_deadline(lab: DomainBackend, *, end_boundary: bool) -> None:
    """Down at the deadline, back 20 minutes on: Guest closes 10 minutes after boot only
    because the trigger has an EndBoundary (without one the missed run never starts)."""
    cap = Target(lab, "CAP1")
    changes = open_member_guest(cap)
    plan = cap.plan(changes, lab.now() + DEADLINE)
    if end_boundary:
        cap.drive(arm(plan))
    else:
        _register_without_end_boundary(cap, plan)
    lab.set_host_up("CAP1", False)
    lab.advance(DEADLINE + timedelta(minutes=20))
    lab.set_host_up("CAP1", True)
    lab.advance(timedelta(minutes=10) - SECOND)
    assert cap.guest().enabled
    lab.advance(SECOND)
    assert cap.guest().enabled is not end_boundary


def _register_without_end_boundary(cap: Target, plan: FailsafePlan) -> None:
    """The same task with its EndBoundary (and DeleteExpiredTaskAfter, which needs it) cut."""
    armed = plan.armed()
    xml = task_xml(plan.task(armed, failsafe_action(armed.commands)))
    xml, cut = re.subn(_END_BOUNDARY, "", xml)
    assert cut == 2
    register = Command.of(
        "Register-ScheduledTask", TaskName=armed.task_name, TaskPath=armed.task_path, Xml=xml
    )
    assert cap.transport().run(register).ok


def test_re_arming_replaces_the_task_with_the_longer_list(lab: DomainBackend) -> None:
    """Armed after each change, the host keeps one task whose script undoes the last change first."""
    cap = Target(lab, "CAP1")
    deadline = lab.now() + DEADLINE
    enable = cap.change("local_user", sid="S-1-5-21-*-501", enabled=True)
    first = cap.arm([enable], deadline)
    join = cap.change("local_group_member", group_sid=USERS, members=["S-1-5-21-*-501"])
    second = cap.arm([enable, join], deadline)
    assert (first.task_name, first.task_path) == (second.task_name, second.task_path)
    assert [c.cmdlet for c in first.commands] == ["Disable-LocalUser"]
    assert [c.cmdlet for c in second.commands] == ["Remove-LocalGroupMember", "Disable-LocalUser"]
    (task,) = cap.failsafe_tasks()
    script = task["Actions"][0]["Arguments"]
    assert script.index("Remove-LocalGroupMember") < script.index("Disable-LocalUser")
    sid = cap.guest().sid
    lab.advance(DEADLINE)
    assert not cap.guest().enabled
    assert sid not in cap.local_members(USERS)


def test_disarm_removes_the_task_and_is_idempotent(lab: DomainBackend) -> None:
    """Disarmed, the task is gone and never fires; disarming again is fine."""
    cap = Target(lab, "CAP1")
    armed = cap.arm(open_member_guest(cap), lab.now() + DEADLINE)
    cap.drive(disarm(armed))
    assert cap.failsafe_tasks() == []
    cap.drive(disarm(armed))
    lab.advance(DEADLINE + timedelta(days=3))
    assert cap.guest().enabled


def test_disarm_after_the_task_fired_and_expired(lab: DomainBackend) -> None:
    """A task that fired and was deleted after EndBoundary + DeleteExpiredTaskAfter disarms fine."""
    cap = Target(lab, "CAP1")
    armed = cap.arm(open_member_guest(cap), lab.now() + DEADLINE)
    lab.advance(DEADLINE)
    info = lab.task_info("CAP1", armed.task_name, armed.task_path)
    assert info is not None
    assert info.state is TaskState.Ready
    lab.advance(timedelta(days=2))
    assert lab.task_info("CAP1", armed.task_name, armed.task_path) is None
    cap.drive(disarm(armed))


def test_one_failing_undo_does_not_stop_the_others(lab: DomainBackend) -> None:
    """An undo that fails (its -ErrorAction Stop neutralised) still lets the next one run."""
    cap = Target(lab, "CAP1")
    enable = cap.change("local_user", sid="S-1-5-21-*-501", enabled=True)
    sid = cap.guest().sid
    failing = Command.of(
        "Remove-LocalGroupMember", mutating=True, SID=USERS, Member=[sid], ErrorAction="Stop"
    )
    assert not cap.transport().run(failing).ok  # Guest is not in Users: MemberNotFound
    armed = cap.arm([enable, (failing,)], lab.now() + DEADLINE)
    assert [c.cmdlet for c in armed.commands] == ["Remove-LocalGroupMember", "Disable-LocalUser"]
    lab.advance(DEADLINE)
    assert not cap.guest().enabled
    info = lab.task_info("CAP1", armed.task_name, armed.task_path)
    assert info is not None
    assert info.last_result == 0  # the last statement, Disable-LocalUser, succeeded


def test_the_failsafe_after_the_orchestrator_undid_everything(lab: DomainBackend) -> None:
    """Run after the orchestrator's own undo (and a lost disarm), the task changes nothing."""
    dc = Target(lab, "DC1")
    changes = open_domain_guest(dc)
    armed = dc.arm(changes, lab.now() + DEADLINE)
    for undo in reversed(changes):
        for command in undo:
            assert dc.transport().run(command).ok
    lab.advance(DEADLINE)
    info = lab.task_info("DC1", armed.task_name, armed.task_path)
    assert info is not None
    assert info.last_run_time == armed.start
    assert info.last_result == 0  # Remove-ADGroupMember and Disable-ADAccount are permissive
    assert not dc.guest().enabled
    assert dc.guest().sid not in dc.ad_members("Domain Users")


def test_the_task_is_registered_as_system_with_force(lab: DomainBackend) -> None:
    """The registration is Register-ScheduledTask -Xml -Force under \\orchestrator\\."""
    cap = Target(lab, "CAP1")
    transport = cap.transport()
    plan = cap.plan(open_member_guest(cap), lab.now() + DEADLINE)
    drive(arm(plan), transport, sleep=lambda _s: None)
    register = next(c for c in transport.sent if c.cmdlet == "Register-ScheduledTask")
    assert register.mutating
    assert register.param("Force") is SWITCH
    assert register.param("TaskPath") == "\\orchestrator\\"
    (task,) = cap.failsafe_tasks()
    assert task["Principal"]["UserId"] == "S-1-5-18"
    assert task["Settings"]["StartWhenAvailable"] is True
    assert task["Settings"]["DeleteExpiredTaskAfter"] == "P1D"
    assert task["Triggers"][0]["EndBoundary"] is not None
