"""The failsafe's pure parts: task names, the tolerant script, the target's clock, checks made
while arming, and the JSON the journal keeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrator.commands import SWITCH, Command, CommandResult
from orchestrator.engine.failsafe import (
    ArmedFailsafe,
    FailsafePlan,
    TargetClock,
    arm,
    disarm,
    read_clock,
    task_name,
)
from orchestrator.engine.failsafe_json import command_from_json, command_to_json
from orchestrator.engine.failsafe_script import MAX_COMMAND_LINE, failsafe_commands, tolerant
from orchestrator.errors import WindowError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.logic import change
from orchestrator.modules.protocol import Logic, T
from orchestrator.modules.task_xml import boundary
from orchestrator.secrets import Secret

from .conftest import DEADLINE, RUN, WINDOW, Target, open_member_guest

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
GUEST_SID = "S-1-5-21-1-2-3-501"
DISABLE = change("Disable-LocalUser", SID=GUEST_SID)
Answer = Callable[[Command], tuple[Any, ...]]


def _drive(logic: Logic[T], answer: Answer) -> T:
    """Run logic against scripted outputs, no transport at all."""
    try:
        command = next(logic)
        while True:
            assert isinstance(command, Command)
            command = logic.send(CommandResult(command, answer(command)))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _plan(changes: tuple[tuple[Command, ...], ...] = ((DISABLE,),)) -> FailsafePlan:
    clock = TargetClock(NOW, NOW)
    return FailsafePlan(RUN, WINDOW, "CAP1", NOW + DEADLINE, clock, changes)


def test_task_names_keep_safe_characters_and_stay_distinct() -> None:
    """`<run>-<window>` as given when safe; otherwise sanitised with a digest of the original."""
    assert task_name("r1", "guest-access") == "r1-guest-access"
    spaced, underscored = task_name("r1", "guest access"), task_name("r1", "guest_access")
    assert spaced.startswith("r1-guest_access-")
    assert spaced != underscored
    assert all(c.isalnum() or c in "._-" for c in task_name("r/1", 'a\\b:c*"<>|'))
    assert len(task_name("r", "w" * 500)) <= 130


def test_tolerant_neutralises_stop_and_splits_members() -> None:
    """-ErrorAction Stop becomes Continue, and a member list becomes one command per member."""
    (disable,) = tolerant(DISABLE)
    assert disable.param("ErrorAction") == "Continue"
    remove = change(
        "Remove-ADGroupMember", Identity="Domain Users", Members=("a", "b"), Confirm=False
    )
    split = tolerant(remove)
    assert [c.param("Members") for c in split] == [["a"], ["b"]]
    assert all(c.param("Confirm") is False and c.mutating for c in split)
    assert all(c.param("ErrorAction") == "Continue" for c in split)


def test_changes_are_undone_last_first_each_in_its_own_order() -> None:
    """The script runs the last change's undo first; one change's commands keep their order."""
    a1, a2, b1 = (
        change(n, Name="x") for n in ("Set-LocalUser", "Disable-LocalUser", "Stop-Service")
    )
    assert [c.cmdlet for c in failsafe_commands([(a1, a2), (b1,)])] == [
        "Stop-Service",
        "Set-LocalUser",
        "Disable-LocalUser",
    ]


def test_clock_offsets_are_honoured() -> None:
    """A +02:00 reading 7 minutes fast gives that skew and a boundary in the target's offset."""
    reading = "2024-05-01T10:07:00.1234567+02:00"
    clock = _drive(read_clock(NOW), lambda _c: (reading,))
    assert clock.skew == timedelta(minutes=7, microseconds=123456)
    start = clock.on_target(NOW + DEADLINE)
    assert boundary(start) == "2024-05-01T12:07:00+02:00"


def test_a_reading_without_offset_still_gives_the_right_boundary() -> None:
    """A naive reading is the target's local time: its skew may hold a zone difference, but the
    boundary is the reading plus the time left, right on the target's own clock."""
    same_zone = _drive(read_clock(NOW), lambda _c: ("2024-05-01T07:53:00",))
    assert same_zone.skew == timedelta(minutes=-7)
    assert boundary(same_zone.on_target(NOW + DEADLINE)) == "2024-05-01T09:53:00"
    other_zone = _drive(read_clock(NOW), lambda _c: ("2024-05-01T09:53:00",))
    assert other_zone.skew == timedelta(hours=2, minutes=-7)
    assert boundary(other_zone.on_target(NOW + DEADLINE)) == "2024-05-01T11:53:00"


def test_an_unreadable_clock_is_a_window_error() -> None:
    """Get-Date answering something that is not a date refuses the failsafe."""
    with pytest.raises(WindowError, match="not an ISO date"):
        _drive(read_clock(NOW), lambda _c: ("yesterday",))


def test_arming_refuses_what_the_task_could_not_do() -> None:
    """A secret in an undo, a command line too long, a passed deadline: WindowError, nothing sent."""
    secret = Command.of("Set-LocalUser", mutating=True, Name="x", Password=Secret("s3cret!"))
    with pytest.raises(WindowError, match="a secret") as caught:
        _drive(arm(_plan(((secret,),))), lambda c: pytest.fail(f"sent {c.cmdlet}"))
    assert "s3cret!" not in str(caught.value)
    long = change("Set-LocalUser", Name="x", Description="d" * MAX_COMMAND_LINE)
    with pytest.raises(WindowError, match="over Windows'"):
        _drive(arm(_plan(((long,),))), lambda c: pytest.fail(f"sent {c.cmdlet}"))
    with pytest.raises(WindowError, match="deadline passed"):
        FailsafePlan(RUN, WINDOW, "CAP1", NOW, TargetClock(NOW, NOW), ((DISABLE,),))


def test_arming_checks_what_was_registered() -> None:
    """A task read back with another StartBoundary fails the arming (the change must not go on)."""

    def answer(command: Command) -> tuple[Any, ...]:
        if command.cmdlet != "Get-ScheduledTask":
            return ()
        return (
            {
                "Triggers": [{"StartBoundary": "2024-05-01T09:00:00"}],
                "Actions": [{"Execute": "powershell.exe", "Arguments": "-Command x"}],
                "Principal": {"UserId": "SYSTEM"},
            },
        )

    with pytest.raises(WindowError, match="StartBoundary 2024-05-01T09:00:00") as caught:
        _drive(arm(_plan()), answer)
    assert "its action is another one" in str(caught.value)
    assert "runs as" not in str(caught.value)


def test_commands_round_trip_through_json() -> None:
    """Switches, booleans, lists and integers survive JSON; a Secret is never written."""
    command = Command.of(
        "Register-ScheduledTask", mutating=True, TaskName="t", Force=SWITCH, Confirm=False, N=3
    )
    assert command_from_json(json.loads(json.dumps(command_to_json(command)))) == command
    with pytest.raises(ValueError, match="Secret"):
        command_to_json(Command.of("Set-LocalUser", Password=Secret("x")))


def test_an_armed_failsafe_in_the_journal_is_disarmed_by_a_later_process(
    lab: DomainBackend,
) -> None:
    """ArmedFailsafe round-trips through JSON, and what comes back disarms the real task."""
    lab.set_clock_skew("CAP1", timedelta(minutes=-7))
    cap = Target(lab, "CAP1")
    armed = cap.arm(open_member_guest(cap), lab.now() + DEADLINE)
    stored = json.dumps(armed.to_json())
    loaded = ArmedFailsafe.from_json(json.loads(stored))
    assert loaded == armed
    assert cap.failsafe_tasks() != []
    Target(lab, "CAP1").drive(disarm(loaded))
    assert cap.failsafe_tasks() == []
