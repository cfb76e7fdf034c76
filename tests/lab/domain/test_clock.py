"""The lab clock: virtual time and its discrete-event scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.lab.clock import DEFAULT_START, Clock

START = datetime(2000, 1, 4, 15, 0, tzinfo=UTC)


def test_manual_clock_stands_still_until_advanced() -> None:
    """A manual clock does not move on its own."""
    clock = Clock(START, manual=True)
    assert clock.now() == START
    clock.advance(timedelta(minutes=5))
    assert clock.now() == START + timedelta(minutes=5)


def test_events_run_in_due_order_and_see_their_own_time() -> None:
    """advance() runs events in due order, with now() set to each event's due time."""
    clock = Clock(START, manual=True)
    seen: list[tuple[str, datetime]] = []
    clock.schedule(START + timedelta(seconds=30), lambda: seen.append(("b", clock.now())))
    clock.schedule(START + timedelta(seconds=10), lambda: seen.append(("a", clock.now())))
    clock.schedule(START + timedelta(seconds=90), lambda: seen.append(("c", clock.now())))
    assert clock.advance(timedelta(minutes=1)) == 2
    assert seen == [("a", START + timedelta(seconds=10)), ("b", START + timedelta(seconds=30))]
    assert clock.now() == START + timedelta(minutes=1)


def test_events_scheduled_by_events_run_in_the_same_advance() -> None:
    """An event that schedules another inside the window sees it run too (re-arming cycles)."""
    clock = Clock(START, manual=True)
    ticks: list[datetime] = []

    def tick() -> None:
        ticks.append(clock.now())
        clock.schedule_in(timedelta(minutes=1), tick)

    clock.schedule(START, tick)
    clock.advance(timedelta(minutes=3))
    assert ticks == [START + timedelta(minutes=m) for m in range(4)]


def test_cancelled_events_never_run() -> None:
    """A cancelled event is skipped."""
    clock = Clock(START, manual=True)
    ran: list[int] = []
    event = clock.schedule(START + timedelta(seconds=1), lambda: ran.append(1))
    Clock.cancel(event)
    clock.advance(timedelta(seconds=2))
    assert ran == []
    assert clock.pending() == 0


def test_time_never_goes_backwards() -> None:
    """run_until a past instant and negative advances are refused."""
    clock = Clock(START, manual=True)
    with pytest.raises(ValueError, match="backwards"):
        clock.run_until(START - timedelta(seconds=1))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))


def test_real_time_mode_follows_the_monotonic_source_times_speed() -> None:
    """In real-time mode virtual time = start + elapsed x speed (plus manual jumps)."""
    now = [100.0]
    clock = Clock(START, speed=60.0, monotonic=lambda: now[0])
    now[0] += 2.0
    assert clock.now() == START + timedelta(minutes=2)
    clock.advance(timedelta(hours=1))
    assert clock.now() == START + timedelta(hours=1, minutes=2)


def test_run_due_runs_only_what_is_due() -> None:
    """run_due in real-time mode runs past-due events but not future ones."""
    now = [0.0]
    clock = Clock(START, monotonic=lambda: now[0])
    ran: list[str] = []
    clock.schedule(START + timedelta(seconds=5), lambda: ran.append("soon"))
    clock.schedule(START + timedelta(seconds=50), lambda: ran.append("later"))
    now[0] = 6.0
    assert clock.run_due() == 1
    assert ran == ["soon"]
    assert clock.next_due() == START + timedelta(seconds=50)


def test_naive_start_is_rejected_and_default_is_the_article_day() -> None:
    """The clock needs an aware start; by default it starts on the day of the KB's log."""
    with pytest.raises(ValueError, match="aware"):
        Clock(datetime(2000, 1, 4), manual=True)
    assert Clock(manual=True).now() == DEFAULT_START
