"""The Task Scheduler XML builder and the literal cmdlet scripts of failsafe actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.commands import SWITCH, Command
from orchestrator.lab.domain.tasks import parse_task_xml
from orchestrator.modules.logic import change
from orchestrator.modules.task_xml import (
    ExecAction,
    OneShotTask,
    command_text,
    parse_xml_duration,
    powershell_action,
    task_xml,
    xml_duration,
)
from orchestrator.secrets import Secret

START = datetime(2000, 1, 4, 17, 0, 0)


def test_the_xml_is_what_the_task_scheduler_reads() -> None:
    """Boundaries, StartWhenAvailable, DeleteExpiredTaskAfter, SYSTEM and the action parse back."""
    action = ExecAction("powershell.exe", '-NoProfile -Command "Get-Date"')
    xml = task_xml(OneShotTask(START, START + timedelta(hours=1), (action,)))
    parsed = parse_task_xml(xml)
    assert parsed.start_boundary == START.replace(tzinfo=UTC)
    assert parsed.end_boundary == START.replace(tzinfo=UTC) + timedelta(hours=1)
    assert parsed.start_when_available is True
    assert parsed.delete_expired_after == timedelta(days=1)
    assert parsed.user_id == "S-1-5-18"
    assert parsed.actions[0].command == "powershell.exe"
    assert parsed.actions[0].arguments == action.arguments
    assert "<LogonType>ServiceAccount</LogonType>" in xml


def test_an_aware_start_keeps_its_offset() -> None:
    """A start with a UTC offset is written with it (the target reads it in its own zone)."""
    start = START.replace(tzinfo=UTC)
    xml = task_xml(OneShotTask(start, start + timedelta(hours=1), (ExecAction("x.exe"),)))
    assert "<StartBoundary>2000-01-04T17:00:00+00:00</StartBoundary>" in xml


def test_the_end_must_follow_the_start() -> None:
    """An EndBoundary at or before the start is refused before anything is sent."""
    with pytest.raises(ValueError, match="end must come after"):
        task_xml(OneShotTask(START, START, (ExecAction("x.exe"),)))


def test_text_is_escaped_in_the_xml() -> None:
    """& and < in an argument become entities, and read back unchanged."""
    action = ExecAction("x.exe", "a & b < c")
    parsed = parse_task_xml(task_xml(OneShotTask(START, START + timedelta(hours=1), (action,))))
    assert parsed.actions[0].arguments == "a & b < c"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=1), "P1D"),
        (timedelta(hours=1, minutes=30), "PT1H30M"),
        (timedelta(0), "PT0S"),
        (timedelta(days=2, seconds=5), "P2DT5S"),
    ],
)
def test_durations_round_trip(value: timedelta, text: str) -> None:
    """XML schema durations are written and read back exactly."""
    assert xml_duration(value) == text
    assert parse_xml_duration(text) == value


def test_a_command_as_literal_script_text() -> None:
    """Strings single-quoted (quotes doubled), switches bare, booleans as -P:$x, one-item lists."""
    command = Command.of(
        "Remove-LocalGroupMember",
        SID="S-1-5-32-545",
        Member=["O'Brien"],
        Force=SWITCH,
        Confirm=False,
    )
    assert command_text(command) == (
        "Remove-LocalGroupMember -SID 'S-1-5-32-545' -Member 'O''Brien' -Force -Confirm:$false"
    )


def test_an_action_of_undo_commands() -> None:
    """powershell_action joins the commands with '; ' inside powershell.exe -Command."""
    action = powershell_action([change("Disable-LocalUser", SID="S-1-5-21-1-2-3-501")])
    assert action.command == "powershell.exe"
    assert action.arguments == (
        "-NoProfile -NonInteractive -Command "
        "\"Disable-LocalUser -SID 'S-1-5-21-1-2-3-501' -ErrorAction 'Stop'\""
    )


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (Command.of("New-LocalUser", Name="x", Password=Secret("Canary-1")), "a secret"),
        (Command.of("Set-LocalUser", Name="x", Description='say "hi"'), "str"),
        (Command.of("Set-LocalUser", Name="x\nGet-Date"), "str"),
        (Command.of("Add-LocalGroupMember", Name="Users", Member=["a", "b"]), "list"),
        (Command("Get-Date; Stop-Computer"), "not a plain cmdlet"),
        (Command("$x", is_script=True), "not a plain cmdlet"),
    ],
)
def test_what_cannot_be_a_literal_is_refused(command: Command, why: str) -> None:
    """Secrets, double quotes, control characters, lists and scripts never reach a task."""
    with pytest.raises(ValueError, match=why) as info:
        command_text(command)
    assert "Canary-1" not in str(info.value)
