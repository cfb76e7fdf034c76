"""Rollback windows in the runner: guard every change, stop in time, always revert."""

from __future__ import annotations

import textwrap
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.budget import revert_budget
from orchestrator.commands import Command
from orchestrator.engine import events as ev
from orchestrator.engine.fanout import Fanout
from orchestrator.engine.runner import Runner, RunResult
from orchestrator.engine.step import Status
from orchestrator.engine.window import PendingChange, check_feasible
from orchestrator.errors import ConnectError, WindowError
from orchestrator.inventory.loader import load_inventory
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import Logic
from orchestrator.playbook.binding import Binder, placeholder_secrets
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.model import Window

from .fakes import FakeConnector, Script, SetValue, modules
from .test_runner import INVENTORY, Events


class Journal:
    """Records what the window journals, in order, with the connector's calls so far."""

    def __init__(self, connector: FakeConnector) -> None:
        self.connector = connector
        self.entries: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._next = 0

    def _add(self, *entry: Any) -> int:
        with self._lock:
            self._next += 1
            self.entries.append((*entry, len(self.connector.calls)))
            return self._next

    def open_window(self, name: str, deadline: datetime, failsafe: str) -> int:
        return self._add("open", name)

    def record_intent(self, window_id: int, change: PendingChange, step_index: int) -> int:
        return self._add("intent", change.host, change.step)

    def mark_change(self, change_id: int, state: str) -> None:
        self._add("mark", change_id, state)

    def record_failsafe(self, window_id: int, host: str, armed: Any) -> None:
        self._add("failsafe", host)

    def failsafe_disarmed(self, window_id: int, host: str) -> None:
        self._add("disarmed", host)

    def close_window(self, window_id: int, status: str) -> None:
        self._add("close", status)


class Failsafes:
    """A failsafe whose arm/disarm are commands the fake transport records."""

    def __init__(self) -> None:
        self.armed: dict[str, tuple[Command, ...]] = {}

    def prepare(self, host: str, deadline: datetime) -> Logic[None]:
        yield Command.of("Get-Date")

    def arm(self, host: str, undo: tuple[Command, ...]) -> Logic[Any]:
        self.armed[host] = undo
        yield Command.of("Register-ScheduledTask", mutating=True)
        return host

    def disarm(self, host: str) -> Logic[None]:
        self.armed.pop(host, None)
        yield Command.of("Unregister-ScheduledTask", mutating=True)


WINDOW = """\
  - window:
      name: w
      deadline: {deadline}
      steps:
        - {{name: first, hosts: cap_server, service: {{name: a, state: started}}}}
        - {{name: second, hosts: cap_server, service: {{name: b, state: started}}}}
  - {{name: after, hosts: cap_server, service: {{name: c, state: started}}}}
"""


def _run(
    tmp_path: Path, connector: FakeConnector, *, deadline: str = "1h", stop_after: str | None = None
) -> tuple[RunResult, Events, Journal, Failsafes]:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(
        "name: T\nsteps:\n" + textwrap.dedent(WINDOW.format(deadline=deadline))
    )
    playbook = load_playbook(tmp_path / "play.yml", MODULES)
    binding = Binder(load_inventory(tmp_path / "inv.yml"), {}, MODULES).bind(
        playbook, placeholder_secrets(playbook)
    )
    events = Events()
    journal = Journal(connector)
    safes = Failsafes()
    runner: Runner

    def observe(event: ev.Event) -> None:
        events.append(event)
        if stop_after and isinstance(event, ev.StepFinished) and event.step == stop_after:
            runner.request_stop("Ctrl-C")

    def failsafes(window: Window) -> Failsafes:
        return safes

    with Fanout(connector, events=ev.EventBus([observe])) as fanout:
        runner = Runner(
            playbook,
            binding,
            fanout,
            modules=modules(SetValue()),
            journal=journal,
            failsafes=failsafes,
            sleep=lambda _s: None,
        )
        return runner.run(), events, journal, safes


def _values(connector: FakeConnector) -> dict[str, Any]:
    return {host: script.state.get("value") for host, script in connector.scripts.items()}


def test_a_window_runs_then_reverts_everything_and_the_run_goes_on(tmp_path: Path) -> None:
    """Both window steps apply, then every host is put back (last change first), disarmed."""
    connector = FakeConnector()
    result, events, _journal, safes = _run(tmp_path, connector)
    assert not result.failed
    (outcome,) = result.windows
    assert (outcome.finished, outcome.reverted) == (True, True)
    assert safes.armed == {}  # disarmed everywhere
    assert _values(connector) == {"s1": "c", "s2": "c", "s3": "c"}  # window undone, then 'after'
    undone = [e for e in events.of(ev.UndoFinished) if e.step]
    assert [e.step for e in undone if e.host == "s1"] == ["second", "first"]
    assert all(e.verified for e in undone)


def test_every_change_is_guarded_before_it_is_applied(tmp_path: Path) -> None:
    """On each host: clock read, probe, failsafe registered, and only then the change."""
    connector = FakeConnector()
    _, _, journal, _ = _run(tmp_path, connector)
    s1 = [c for h, c in connector.calls if h == "s1"]
    assert s1[:5] == ["Get-Date", "Get", "Register-ScheduledTask", "Set", "Get"]
    assert [e[0] for e in journal.entries].count("intent") == 6


def test_intent_precedes_the_change_in_the_journal(tmp_path: Path) -> None:
    """Each intent is written before its host received that step's Set command."""
    connector = FakeConnector()
    _, _, journal, _ = _run(tmp_path, connector)
    for kind, host, step, seen in (e for e in journal.entries if e[0] == "intent"):
        sets = [c for h, c in connector.calls[:seen] if h == host and c == "Set"]
        assert len(sets) == {"first": 0, "second": 1}[step], (kind, host, step)
    states = [e[2] for e in journal.entries if e[0] == "mark"]
    assert (states.count("applied"), states.count("undone")) == (6, 6)
    assert journal.entries[-1][:2] == ("close", "closed")


def test_a_failure_inside_the_window_reverts_and_stops_the_run(tmp_path: Path) -> None:
    """When a window step fails on a host, forward work stops and every change is undone."""
    connector = FakeConnector({"s2": Script(refuse_value="b")})
    result, events, _, safes = _run(tmp_path, connector)
    (outcome,) = result.windows
    assert outcome.reason == "a step failed inside the window on s2"
    assert outcome.reverted
    assert result.failed
    assert "after" not in {e.step for e in events.of(ev.StepStarted)}
    assert _values(connector) == {"s1": None, "s2": None, "s3": None}
    assert safes.armed == {}


def test_ctrl_c_inside_the_window_reverts_before_exit(tmp_path: Path) -> None:
    """A stop request after the first window step: the second never runs, all is undone."""
    connector = FakeConnector()
    result, events, _, _ = _run(tmp_path, connector, stop_after="first")
    (outcome,) = result.windows
    assert outcome.reason == "Ctrl-C"
    assert outcome.reverted
    assert "second" not in {e.step for e in events.of(ev.StepStarted)}
    assert _values(connector) == {"s1": None, "s2": None, "s3": None}


def test_an_infeasible_window_is_refused_with_the_numbers(tmp_path: Path) -> None:
    """A window whose revert cannot fit before its deadline changes nothing and says why."""
    connector = FakeConnector()
    result, _events, _, _ = _run(tmp_path, connector, deadline="5s")
    assert result.refused is not None
    assert "refused: its revert needs" in result.refused
    assert [c for _, c in connector.calls if c == "Set"] == []


def test_revert_budget_arithmetic() -> None:
    """Waves of hosts times commands at the measured latency, plus a timeout per wave."""
    budget = revert_budget(hosts=100, forks=20, steps=2, latency=0.5, connect_timeout=30)
    assert budget.waves == 5
    assert budget.seconds == pytest.approx(5 * (5 * 0.5 * 1.5 + 30))
    with pytest.raises(WindowError, match="needs 169s but the deadline is 120s away"):
        check_feasible("guest-access", timedelta(minutes=2), budget)


def test_a_change_whose_answer_was_lost_is_journaled_and_undone_once(tmp_path: Path) -> None:
    """In a window, a Set that acted but lost its answer: the step probes again, finds it made,
    journals no second intent, and the revert undoes it once."""
    connector = FakeConnector({"s1": Script(lost_answers=1)})
    result, events, journal, _ = _run(tmp_path, connector)
    assert not result.failed
    intents = [e[1:3] for e in journal.entries if e[0] == "intent"]
    assert intents.count(("s1", "first")) == 1
    first = [e for e in events.of(ev.HostStepFinished) if (e.host, e.step) == ("s1", "first")]
    assert [(e.status, e.attempts) for e in first] == [(Status.CHANGED, 2)]
    undone = [e for e in events.of(ev.UndoFinished) if (e.host, e.step) == ("s1", "first")]
    assert len(undone) == 1
    assert undone[0].verified


def test_a_cap_that_does_not_answer_when_the_window_opens_leaves_the_run(tmp_path: Path) -> None:
    """A host whose clock cannot be read when the window opens: it is out (unreachable), its
    first window step says why, the window runs and reverts on the others, the run fails."""
    dropped: list[Exception] = [ConnectError("dropped") for _ in range(20)]
    connector = FakeConnector({"s2": Script(errors=dropped)})
    result, events, _, _ = _run(tmp_path, connector)
    assert result.failed
    assert result.out["s2"].kind.value == "unreachable"
    s2 = [e for e in events.of(ev.HostStepFinished) if e.host == "s2"]
    assert [(e.step, e.status) for e in s2] == [("first", Status.UNREACHABLE)]
    (outcome,) = result.windows
    assert outcome.reverted
    assert _values(connector)["s1"] == "c"
