"""The runner: order, parallelism, retries, the credential breaker, batches and failures."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engine import events as ev
from orchestrator.engine.fanout import Fanout
from orchestrator.engine.runner import Runner, RunResult, RunSettings
from orchestrator.engine.step import Status
from orchestrator.errors import AuthError, ConnectError, OperationTimeout, RemoteError
from orchestrator.inventory.loader import load_inventory
from orchestrator.modules import MODULES
from orchestrator.playbook.binding import Binder, placeholder_secrets
from orchestrator.playbook.loader import load_playbook

from .fakes import FakeConnector, Script, SetValue, modules

INVENTORY = """\
credentials:
  admins: {username: 'LAB\\admin', password: env:X}
  clients: {username: 'LAB\\wks', password: env:Y}
all:
  scheme: http
  credential: admins
  children:
    servers:
      roles: [cap_server]
      hosts: {s1: {}, s2: {}, s3: {}}
    workstations:
      roles: [client]
      credential: clients
      hosts: {w1: {}, w2: {}}
"""


class Events(list[ev.Event]):
    """Every event, in order."""

    def of(self, kind: type) -> list[Any]:
        return [e for e in self if isinstance(e, kind)]

    def finished(self, step: str) -> dict[str, Status]:
        return {e.host: e.status for e in self.of(ev.HostStepFinished) if e.step == step}


def _run(
    tmp_path: Path,
    steps: str,
    connector: FakeConnector,
    *,
    module: Any = None,
    settings: RunSettings | None = None,
    forks: int = 20,
    header: str = "",
) -> tuple[RunResult, Events, list[float]]:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(f"name: T\n{header}steps:\n" + textwrap.dedent(steps))
    playbook = load_playbook(tmp_path / "play.yml", MODULES)
    binding = Binder(load_inventory(tmp_path / "inv.yml"), {}, MODULES).bind(
        playbook, placeholder_secrets(playbook)
    )
    assert not binding.problems, binding.problems
    events = Events()
    slept: list[float] = []
    with Fanout(connector, forks=forks, events=ev.EventBus([events.append])) as fanout:
        runner = Runner(
            playbook,
            binding,
            fanout,
            settings=settings,
            modules=modules(module or SetValue()),
            sleep=slept.append,
        )
        return runner.run(), events, slept


def _step(name: str, hosts: str, value: str = "v", extra: str = "") -> str:
    return f"  - {{name: {name}, hosts: '{hosts}', service: {{name: {value}, state: started}}{extra}}}\n"


def test_steps_run_in_order_each_finished_on_all_hosts_first(tmp_path: Path) -> None:
    """Step 2 starts only after step 1 finished on every host."""
    connector = FakeConnector()
    _, events, _ = _run(
        tmp_path, _step("one", "cap_server") + _step("two", "cap_server", "w"), connector
    )
    order = [(e.step, e.host) for e in events.of(ev.HostStepFinished)]
    assert {s for s, _ in order[:3]} == {"one"}
    assert {s for s, _ in order[3:]} == {"two"}
    assert events.finished("two") == dict.fromkeys(("s1", "s2", "s3"), Status.CHANGED)


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    """Probe then diff: when the value is already set the step is ok and nothing is applied."""
    connector = FakeConnector({h: Script(state={"value": "v"}) for h in ("s1", "s2", "s3")})
    _, events, _ = _run(tmp_path, _step("one", "cap_server"), connector)
    assert set(events.finished("one").values()) == {Status.OK}
    assert [c for _, c in connector.calls] == ["Get"] * 3


def test_parallelism_is_bounded_by_forks(tmp_path: Path) -> None:
    """With forks=2, never more than two hosts are worked on at once."""
    connector = FakeConnector({h: Script(delay=0.05) for h in ("s1", "s2", "s3", "w1", "w2")})
    _run(tmp_path, _step("one", "all"), connector, forks=2)
    assert connector.peak == 2


def test_a_read_only_command_is_resent_at_once(tmp_path: Path) -> None:
    """A probe that fails on the way is sent again at once: one step attempt, short pauses."""
    connector = FakeConnector(
        {"s1": Script(errors=[ConnectError("dropped"), OperationTimeout("slow")])}
    )
    extra = ", retry: {attempts: 3, delay: 2s, backoff: 3, max_delay: 1m}"
    _, events, slept = _run(tmp_path, _step("one", "s1", extra=extra), connector)
    assert slept == [0.05, 0.1]
    assert [(e.attempt, e.command) for e in events.of(ev.Retrying)] == [(1, "Get"), (2, "Get")]
    (finished,) = events.of(ev.HostStepFinished)
    assert (finished.status, finished.attempts) == (Status.CHANGED, 1)


def test_a_changing_command_whose_answer_was_lost_goes_back_to_the_probe_at_once(
    tmp_path: Path,
) -> None:
    """A Set that may have reached the host is not resent: the step probes again at once (no
    policy delay), and every attempt is counted."""
    connector = FakeConnector(
        {"s1": Script(set_errors=[ConnectError("dropped"), OperationTimeout("slow")])}
    )
    extra = ", retry: {attempts: 3, delay: 2s, backoff: 3, max_delay: 1m}"
    _, events, slept = _run(tmp_path, _step("one", "s1", extra=extra), connector)
    assert slept == [0.05, 0.1]
    assert [(e.attempt, e.command) for e in events.of(ev.Retrying)] == [(1, ""), (2, "")]
    assert [c for _, c in connector.calls] == ["Get", "Set"] * 3
    (finished,) = events.of(ev.HostStepFinished)
    assert (finished.status, finished.attempts) == (Status.CHANGED, 3)


def test_a_host_that_cannot_be_reached_is_retried_after_the_policy_delays(tmp_path: Path) -> None:
    """No connection at all (refused): the whole step is tried again after the policy's delays."""
    refused: list[Exception] = [ConnectError("refused", connected=False) for _ in range(2)]
    connector = FakeConnector({"s1": Script(set_errors=refused)})
    extra = ", retry: {attempts: 3, delay: 2s, backoff: 3, max_delay: 1m}"
    _, events, slept = _run(tmp_path, _step("one", "s1", extra=extra), connector)
    assert slept == [2.0, 6.0]
    (finished,) = events.of(ev.HostStepFinished)
    assert (finished.status, finished.attempts) == (Status.CHANGED, 3)


def test_a_change_whose_answer_was_lost_is_made_once_and_reported_changed(tmp_path: Path) -> None:
    """The host acted, then the connection dropped: the next attempt's probe finds the change
    made, so it is not made again, and the step says changed (not ok)."""
    connector = FakeConnector({"s1": Script(lost_answers=1)})
    _, events, _ = _run(tmp_path, _step("one", "s1"), connector)
    assert connector.sets == ["s1"]
    (finished,) = events.of(ev.HostStepFinished)
    assert (finished.status, finished.attempts) == (Status.CHANGED, 2)
    assert "its answer was lost" in finished.summary


def test_a_failed_step_reports_every_attempt_it_made(tmp_path: Path) -> None:
    """A step that fails after its retries says how many attempts it made (not 1)."""
    refused: list[Exception] = [ConnectError("refused", connected=False) for _ in range(3)]
    connector = FakeConnector({"s1": Script(set_errors=refused)})
    result, events, _ = _run(tmp_path, _step("one", "s1"), connector)
    (finished,) = events.of(ev.HostStepFinished)
    assert (finished.status, finished.attempts) == (Status.UNREACHABLE, 3)
    assert result.failed


def test_authentication_failures_are_never_retried(tmp_path: Path) -> None:
    """A 401 during a step is one attempt: the breaker trips and the credential's hosts stop."""
    connector = FakeConnector(
        {"s1": Script(errors=[AuthError("401")])},
    )
    result, events, slept = _run(
        tmp_path,
        _step("one", "s1", extra=", any_errors_fatal: false") + _step("two", "cap_server", "w"),
        connector,
        forks=1,
    )
    assert slept == []
    assert [c for h, c in connector.calls if h == "s1"] == ["Get"]
    assert events.finished("two") == {"s2": Status.FAILED, "s3": Status.FAILED}
    assert [r.host for r in result.rejections] == ["s1"]
    assert "exactly one attempt was made" in next(
        e.error for e in events.of(ev.HostStepFinished) if e.host == "s2"
    )


def test_preflight_tries_each_credential_once_and_spares_the_others(tmp_path: Path) -> None:
    """A rejected credential at preflight: one logon attempt, its hosts untouched, others run."""
    connector = FakeConnector(bad={"clients"})
    result, events, _ = _run(tmp_path, _step("one", "all"), connector)
    assert sorted(connector.logons) == ["s1", "w1"]
    assert events.finished("one")["w2"] is Status.FAILED
    assert {h for h, _ in connector.calls} == {"s1", "s2", "s3"}
    assert [(e.credential, e.host) for e in events.of(ev.CredentialRejected)] == [("clients", "w1")]
    assert result.failed


def test_when_false_skips_and_failed_hosts_leave_the_run(tmp_path: Path) -> None:
    """`when: false` skips; a host whose step failed is not used by later steps."""
    error = RemoteError("boom", fq_error_id="Boom,X")
    connector = FakeConnector({"s2": Script(errors=[error])})
    steps = _step("one", "cap_server", extra=", when: inventory_hostname != 's3'") + _step(
        "two", "cap_server", "w"
    )
    result, events, _ = _run(tmp_path, steps, connector)
    assert events.finished("one") == {
        "s1": Status.CHANGED,
        "s2": Status.FAILED,
        "s3": Status.SKIPPED,
    }
    assert set(events.finished("two")) == {"s1", "s3"}
    assert result.failed_hosts == {"s2": "'one': boom"}


def test_ignore_errors_keeps_the_host(tmp_path: Path) -> None:
    """With ignore_errors the failure is reported as ignored and the host goes on."""
    connector = FakeConnector({"s1": Script(errors=[RemoteError("boom", fq_error_id="Boom,X")])})
    result, events, _ = _run(
        tmp_path,
        _step("one", "s1", extra=", ignore_errors: true") + _step("two", "s1", "w"),
        connector,
    )
    (first,) = [e for e in events.of(ev.HostStepFinished) if e.step == "one"]
    assert (first.status, first.ignored, first.error_id) == (Status.FAILED, True, "Boom,X")
    assert events.finished("two") == {"s1": Status.CHANGED}
    assert not result.failed


def test_transient_remote_errors_named_by_the_module_are_retried(tmp_path: Path) -> None:
    """A RemoteError whose ErrorId the module marks transient is retried; others are not."""
    connector = FakeConnector({"s1": Script(errors=[RemoteError("busy", fq_error_id="Busy,X")])})
    _, events, _ = _run(tmp_path, _step("one", "s1"), connector)
    assert events.finished("one") == {"s1": Status.CHANGED}
    assert len(events.of(ev.Retrying)) == 1


def test_serial_batches_run_the_whole_playbook_per_batch(tmp_path: Path) -> None:
    """serial: 2 runs both steps on two hosts, then both steps on the rest."""
    connector = FakeConnector()
    _, events, _ = _run(
        tmp_path,
        _step("one", "cap_server") + _step("two", "cap_server", "w"),
        connector,
        header="serial: 2\n",
    )
    order = [(e.step, e.host) for e in events.of(ev.HostStepFinished)]
    assert [s for s, _ in order] == ["one", "one", "two", "two", "one", "two"]
    assert order[-2:] == [("one", "s3"), ("two", "s3")]


def test_max_fail_percentage_stops_the_run(tmp_path: Path) -> None:
    """When more than the allowed share of a batch fails, no further step runs."""
    error = RemoteError("boom", fq_error_id="Boom,X")
    connector = FakeConnector({"s1": Script(errors=[error]), "s2": Script(errors=[error])})
    result, events, _ = _run(
        tmp_path,
        _step("one", "cap_server") + _step("two", "cap_server", "w"),
        connector,
        header="max_fail_percentage: 50\n",
    )
    assert result.aborted is not None
    assert events.finished("two") == {}
    assert len(events.of(ev.RunAborted)) == 1


def test_step_timeout_bounds_an_attempt(tmp_path: Path) -> None:
    """A step whose logic waits past its timeout fails with a timeout, not a hang."""
    connector = FakeConnector()
    clock = iter(float(i) for i in range(1000))
    (tmp_path / "unused").write_text("")
    extra = ", timeout: 5s, retry: {attempts: 1}"
    result, events, _ = _run_with_clock(tmp_path, _step("one", "s1", extra=extra), connector, clock)
    (finished,) = events.of(ev.HostStepFinished)
    assert finished.status is Status.FAILED
    assert "step timeout reached" in finished.error
    assert result.failed


def _run_with_clock(
    tmp_path: Path, steps: str, connector: FakeConnector, clock: Any
) -> tuple[RunResult, Events, list[float]]:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text("name: T\nsteps:\n" + steps)
    playbook = load_playbook(tmp_path / "play.yml", MODULES)
    binding = Binder(load_inventory(tmp_path / "inv.yml"), {}, MODULES).bind(
        playbook, placeholder_secrets(playbook)
    )
    events = Events()
    slept: list[float] = []
    with Fanout(connector, events=ev.EventBus([events.append])) as fanout:
        runner = Runner(
            playbook,
            binding,
            fanout,
            modules=modules(SetValue(wait=60)),
            sleep=slept.append,
            monotonic=lambda: next(clock),
        )
        return runner.run(), events, slept


@pytest.mark.parametrize("forks", [1, 5])
def test_every_host_gets_a_result(tmp_path: Path, forks: int) -> None:
    """Whatever the parallelism, each targeted host gets exactly one result per step."""
    connector = FakeConnector()
    _, events, _ = _run(tmp_path, _step("one", "all"), connector, forks=forks)
    assert sorted(events.finished("one")) == ["s1", "s2", "s3", "w1", "w2"]


def test_a_failed_single_host_step_stops_the_run_by_default(tmp_path: Path) -> None:
    """A prerequisite on one host (the DC) fails: no later step runs (any_errors_fatal)."""
    connector = FakeConnector({"s1": Script(refuse_value="v")})
    result, events, _ = _run(
        tmp_path, _step("one", "s1") + _step("two", "cap_server", "w"), connector
    )
    assert events.finished("one") == {"s1": Status.FAILED}
    assert events.finished("two") == {}
    assert result.aborted is not None
    assert "'one' failed on s1" in result.aborted


def test_a_step_on_several_hosts_goes_on_without_the_failed_ones(tmp_path: Path) -> None:
    """On several hosts a failure is not fatal by default: the others go on."""
    connector = FakeConnector({"s1": Script(refuse_value="v")})
    result, events, _ = _run(
        tmp_path, _step("one", "cap_server") + _step("two", "cap_server", "w"), connector
    )
    assert set(events.finished("two")) == {"s2", "s3"}
    assert result.aborted is None


def test_a_step_whose_need_failed_does_not_run(tmp_path: Path) -> None:
    """`needs:` names a step that failed on one host: the run stops before the needing step."""
    connector = FakeConnector({"s1": Script(refuse_value="v")})
    steps = (
        _step("one", "cap_server")
        + _step("two", "w1", "w")
        + _step("three", "w2", "x", extra=", needs: [one]")
    )
    result, events, _ = _run(tmp_path, steps, connector)
    assert events.finished("two") == {"w1": Status.CHANGED}
    assert events.finished("three") == {}
    assert result.aborted == "'three' needs 'one', which failed on s1: the run stops before it"


def test_a_registered_value_serves_later_steps_when(tmp_path: Path) -> None:
    """A step on one host registers what it read for every host; a later `when:` uses it."""
    connector = FakeConnector({"s1": Script(state={"value": "w1"})})
    steps = _step("read", "s1", "w1", extra=", register: picked") + _step(
        "act", "workstations", "w", extra=", when: inventory_hostname == picked.value"
    )
    result, events, _ = _run(tmp_path, steps, connector)
    assert not result.failed
    assert events.finished("act") == {"w1": Status.CHANGED, "w2": Status.SKIPPED}
