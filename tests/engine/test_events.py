"""The event bus: each observer gets one event at a time, every observer in the same order, and
a busy observer holds up only the observers after it, never the ones before (issue 13, item 3).

Threads are synchronised with events, never timed: each `wait` below returns at once when the
bus behaves; its timeout only turns a hang into a failure.
"""

from __future__ import annotations

import threading

import pytest

from orchestrator.engine import events as ev

WAIT = 60.0


def _event(host: str, attempt: int = 1) -> ev.HostStepStarted:
    return ev.HostStepStarted("step", host, attempt)


class Recorder:
    """Records what it gets, and fails the test if two calls ever overlap."""

    def __init__(self) -> None:
        self.seen: list[ev.Event] = []
        self._inside = 0
        self.overlapped = False

    def __call__(self, event: ev.Event) -> None:
        self._inside += 1
        if self._inside > 1:
            self.overlapped = True
        self.seen.append(event)
        self._inside -= 1


def test_concurrent_emitters_every_observer_sees_one_order_one_at_a_time() -> None:
    """Eight threads emitting at once: no observer is called twice at the same time, and all
    three observers get the very same sequence."""
    observers = [Recorder(), Recorder(), Recorder()]
    bus = ev.EventBus(list(observers))

    def emitter(host: str) -> None:
        for attempt in range(200):
            bus.emit(_event(host, attempt))

    threads = [threading.Thread(target=emitter, args=(f"h{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = observers[0].seen
    assert len(first) == 8 * 200
    assert all(o.seen == first for o in observers)
    assert not any(o.overlapped for o in observers)
    for n in range(8):  # and each thread's own events in the order it emitted them
        mine = [e for e in first if isinstance(e, ev.HostStepStarted) and e.host == f"h{n}"]
        assert [e.attempt for e in mine] == list(range(200))


def test_a_busy_observer_does_not_hold_up_the_observers_before_it() -> None:
    """While the second observer is stuck on event 1, the first already gets event 2 (hand over
    hand); once it moves on, the second gets 1 then 2."""
    first: list[ev.Event] = []
    second: list[ev.Event] = []
    stuck, release, first_got_two = threading.Event(), threading.Event(), threading.Event()

    def early(event: ev.Event) -> None:
        first.append(event)
        if len(first) == 2:
            first_got_two.set()

    def slow(event: ev.Event) -> None:
        if not second:
            stuck.set()
            assert release.wait(WAIT)
        second.append(event)

    bus = ev.EventBus([early, slow])
    one = threading.Thread(target=bus.emit, args=(_event("a"),))
    one.start()
    assert stuck.wait(WAIT)
    two = threading.Thread(target=bus.emit, args=(_event("b"),))
    two.start()
    assert first_got_two.wait(WAIT)  # the first observer moved on while the second is stuck
    assert second == []
    release.set()
    one.join()
    two.join()
    assert first == second == [_event("a"), _event("b")]


def test_an_observer_error_is_raised_and_the_bus_goes_on() -> None:
    """An observer that raises stops that event's delivery and raises from emit (as a failing
    journal's JournalError does); its lock is freed, so the next emit reaches everyone."""
    seen = Recorder()
    calls = 0

    def failing_once(_event: ev.Event) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")

    bus = ev.EventBus([failing_once, seen])
    with pytest.raises(RuntimeError, match="disk full"):
        bus.emit(_event("a"))
    bus.emit(_event("b"))
    assert seen.seen == [_event("b")]


def test_a_new_observer_gets_the_events_emitted_after_it_subscribed() -> None:
    """subscribe adds an observer at the end, for what is emitted from then on."""
    early, late = Recorder(), Recorder()
    bus = ev.EventBus([early])
    bus.emit(_event("a"))
    bus.subscribe(late)
    bus.emit(_event("b"))
    assert early.seen == [_event("a"), _event("b")]
    assert late.seen == [_event("b")]
