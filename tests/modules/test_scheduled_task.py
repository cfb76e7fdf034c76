"""scheduled_task against the lab's Task Scheduler, and the XML the failsafe will reuse."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from orchestrator.commands import Command
from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.logic import change
from orchestrator.modules.task_xml import powershell_action

from .conftest import Host, args, changed_then_ok, undone

NAME = "DeadMan-run1"


def _at(lab: DomainBackend, hours: float = 2) -> datetime:
    return (lab.now() + timedelta(hours=hours)).replace(tzinfo=None)


def _open_guest(lab: DomainBackend) -> None:
    """Enable CAP1's local Guest and put it in Users, as the Guest window does."""
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    transport = Host(lab, "CAP1").transport()
    assert transport.run(change("Enable-LocalUser", SID=guest.sid)).ok
    add = change("Add-LocalGroupMember", SID="S-1-5-32-545", Member=[guest.sid])
    assert transport.run(add).ok


def _users(lab: DomainBackend) -> list[str]:
    result = (
        Host(lab, "CAP1").transport().run(Command.of("Get-LocalGroupMember", SID="S-1-5-32-545"))
    )
    return [str(m["Name"]) for m in result.outputs]


def _guest_failsafe(lab: DomainBackend) -> ArgsModel:
    """A SYSTEM task that disables CAP1's local Guest at `at`, the failsafe's shape."""
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    action = powershell_action(
        [
            change("Disable-LocalUser", SID=guest.sid),
            change("Remove-LocalGroupMember", SID="S-1-5-32-545", Member=[guest.sid]),
        ]
    )
    return args(
        "scheduled_task", name=NAME, at=_at(lab), execute=action.command, arguments=action.arguments
    )


def test_registering_a_one_shot_task_once(lab: DomainBackend) -> None:
    """Register-ScheduledTask -Xml -Force once; the read-back definition matches: ok."""
    host = Host(lab, "CAP1")
    outcome = changed_then_ok(host, "scheduled_task", _guest_failsafe(lab))
    assert outcome.diff.summary == f"register task \\{NAME}"
    info = lab.task_info("CAP1", NAME)
    assert info is not None
    assert "-Force" in host.mutations()[0]


def test_the_registered_failsafe_fires_and_closes_guest(lab: DomainBackend) -> None:
    """At its start boundary the task runs as SYSTEM: Guest is disabled and out of Users."""
    _open_guest(lab)
    Host(lab, "CAP1").step("scheduled_task", _guest_failsafe(lab))
    lab.advance(timedelta(hours=2, minutes=1))
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    assert not guest.enabled
    assert "CAP1\\Guest" not in _users(lab)
    info = lab.task_info("CAP1", NAME)
    assert info is not None
    assert info.last_result == 0


def test_a_missed_start_runs_when_the_host_is_back(lab: DomainBackend) -> None:
    """StartWhenAvailable with an EndBoundary: a host down at the start runs the task later."""
    _open_guest(lab)
    Host(lab, "CAP1").step("scheduled_task", _guest_failsafe(lab))
    lab.set_host_up("CAP1", False)
    lab.advance(timedelta(hours=2, minutes=5))
    lab.set_host_up("CAP1", True)
    lab.advance(timedelta(minutes=11))
    guest = lab.local_account("CAP1", "Guest")
    assert guest is not None
    assert not guest.enabled


def test_undo_of_a_new_task_unregisters_it(lab: DomainBackend) -> None:
    """The undo is Unregister-ScheduledTask -Confirm:$false: the task is gone."""
    undone(Host(lab, "CAP1"), "scheduled_task", _guest_failsafe(lab))
    assert lab.task_info("CAP1", NAME) is None


def test_replacing_a_different_task_cannot_be_undone(lab: DomainBackend) -> None:
    """A registered task with another start is replaced (-Force); its undo is None."""
    host = Host(lab, "CAP1")
    host.step("scheduled_task", _guest_failsafe(lab))
    moved = args("scheduled_task", name=NAME, at=_at(lab, 3), execute="powershell.exe")
    outcome = host.step("scheduled_task", moved)
    assert outcome.status is Status.CHANGED
    assert outcome.diff.summary == f"replace task \\{NAME} (start, end, actions differ)"
    assert outcome.undo is None


def test_unregistering_and_its_rerun(lab: DomainBackend) -> None:
    """absent unregisters without a prompt; a rerun is ok; it cannot be undone."""
    host = Host(lab, "CAP1")
    host.step("scheduled_task", _guest_failsafe(lab))
    outcome = changed_then_ok(
        host, "scheduled_task", args("scheduled_task", name=NAME, state="absent")
    )
    assert outcome.undo is None
    assert lab.task_info("CAP1", NAME) is None


def test_a_task_gone_before_apply_fails_with_not_found(lab: DomainBackend) -> None:
    """Unregistering a task someone removed after the probe: the CDXML not-found error."""
    host = Host(lab, "CAP1")
    host.step("scheduled_task", _guest_failsafe(lab))
    given = args("scheduled_task", name=NAME, state="absent")
    state = host.probe("scheduled_task", given)
    host.step("scheduled_task", given)
    with pytest.raises(RemoteError) as info:
        host.apply("scheduled_task", given, state)
    assert info.value.fq_error_id == (
        "CmdletizationQuery_NotFound_TaskName,Unregister-ScheduledTask"
    )
