"""The planner in-process against the lab's domain: read-only, honest unknowns, fingerprints."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.app.plan import make_plan, plan_exit_code, plan_file
from orchestrator.app.preparation import Prepared, Request, prepare
from orchestrator.commands import Command, CommandResult
from orchestrator.engine.fanout import Fanout
from orchestrator.lab.harness import RunningLab
from orchestrator.planning.drift import find_drift
from orchestrator.planning.planfile import PlanFile, read_plan, write_plan
from orchestrator.planning.planner import PlanResult, PlanTransport, PlanViolationError, Prediction

from ..conftest import LabFactory
from ..lab_transport import LabConnector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab(lab_factory: LabFactory) -> RunningLab:
    """The article's broken site, locked out, on a clock that moves only when told."""
    running = lab_factory(scenario="tb1-lockout", clients=3, manual_clock=True)
    running.backend.advance(timedelta(minutes=5))
    return running


def _prepared(lab: RunningLab, tmp_path: Path, steps: str, *extra: str) -> Prepared:
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    playbook = tmp_path / "play.yml"
    playbook.write_text("name: T\nsteps:\n" + textwrap.dedent(steps))
    return prepare(Request(playbook, inventory, extra), interactive=False)


def _plan(lab: RunningLab, prepared: Prepared) -> PlanResult:
    with Fanout(LabConnector(lab.backend, prepared.credentials)) as fanout:
        _, result = make_plan(prepared, fanout)
    return result


def _by_step(result: PlanResult) -> dict[tuple[str, str], Prediction]:
    return {(p.step, p.host): p for p in result.predictions}


GUEST_THEN_MEMBERSHIP = """\
- name: Enable Guest
  hosts: DC1
  ad_user: {sid: S-1-5-21-*-501, enabled: true}
- name: Guest enabled again
  hosts: DC1
  ad_user: {sid: S-1-5-21-*-501, enabled: true}
- name: Old account unlocked
  hosts: DC1
  ad_user: {name: SMSClient_TB1, unlocked: true}
- name: A program on CAP1
  hosts: CAP1
  process: {path: 'C:\\Tools\\fix.exe'}
  irreversible: true
- name: Local Guest after the program
  hosts: CAP1
  local_user: {sid: S-1-5-21-*-501, enabled: true}
- name: Only on a client that is not there
  hosts: client
  when: "inventory_hostname == 'nope'"
  service: {name: Clisvcl, state: started}
"""


def test_predictions_will_change_unknown_after_an_earlier_change_and_skipped(
    lab: RunningLab, tmp_path: Path
) -> None:
    """Guest disabled: will change, then as the first step leaves it (no change); after a
    program on the host: unknown (it may change anything); when false: skipped."""
    before = lab.backend.state_digest()
    result = _plan(lab, _prepared(lab, tmp_path, GUEST_THEN_MEMBERSHIP))
    assert lab.backend.state_digest() == before
    found = _by_step(result)
    enable = found[("Enable Guest", "DC1")]
    assert (enable.kind, enable.before.get("enabled"), enable.after.get("enabled")) == (
        "will-change",
        False,
        True,
    )
    again = found[("Guest enabled again", "DC1")]
    assert (again.kind, again.before.get("enabled")) == ("no-change", True)
    assert again.reason == "predicted from what 'Enable Guest' would leave"
    after_program = found[("Local Guest after the program", "CAP1")]
    assert after_program.kind == "unknown"
    assert "depends on an earlier step: 'A program on CAP1'" in after_program.reason
    assert found[("Old account unlocked", "DC1")].kind == "will-change"  # another account
    skipped = [p for p in result.predictions if p.step.startswith("Only")]
    assert {p.kind for p in skipped} == {"skipped"}
    assert len(skipped) == 3
    assert result.changes_pending
    assert plan_exit_code(result, detailed=True) == 6
    assert plan_exit_code(result, detailed=False) == 0


def test_nothing_pending_exits_0_with_detailed_exitcode(lab: RunningLab, tmp_path: Path) -> None:
    """A step already as wanted on every host: no change, exit 0."""
    steps = "- {name: Running, hosts: client, service: {name: Clisvcl, state: started}}\n"
    result = _plan(lab, _prepared(lab, tmp_path, steps))
    assert {p.kind for p in result.predictions} == {"no-change"}
    assert plan_exit_code(result, detailed=True) == 0


def test_an_unreachable_host_is_unknown_and_fails_the_plan(lab: RunningLab, tmp_path: Path) -> None:
    """WKS0002 down: its step is unknown (host unreachable), the others are planned; exit 1."""
    lab.backend.set_host_up("WKS0002", False)
    steps = "- {name: Running, hosts: client, service: {name: Clisvcl, state: started}}\n"
    result = _plan(lab, _prepared(lab, tmp_path, steps))
    found = _by_step(result)
    assert found[("Running", "WKS0002")].kind == "unknown"
    assert "unreachable" in found[("Running", "WKS0002")].reason
    assert found[("Running", "WKS0001")].kind == "no-change"
    assert plan_exit_code(result, detailed=True) == 1


def test_a_rejected_credential_is_tried_once_and_exits_5(lab: RunningLab, tmp_path: Path) -> None:
    """A wrong operator password: one logon attempt in all, nothing probed, exit 5."""
    prepared = _prepared(
        lab,
        tmp_path,
        "- {name: Running, hosts: client, service: {name: Clisvcl, state: started}}\n",
    )
    (tmp_path / "lab" / "lab-operator.password").write_text("wrong-password\n")
    prepared = prepare(
        Request(prepared.playbook_path, tmp_path / "lab" / "inventory.yml"), interactive=False
    )
    connector = LabConnector(lab.backend, prepared.credentials)
    with Fanout(connector) as fanout:
        _, result = make_plan(prepared, fanout)
    assert len(connector.logons) == 1
    assert plan_exit_code(result, detailed=False) == 5
    assert all(p.kind == "unknown" for p in result.predictions)


def test_plan_transport_refuses_a_mutating_command() -> None:
    """A module bug cannot reach a host in plan mode: the command is refused before sending."""

    class Recording:
        def __init__(self) -> None:
            self.sent: list[Command] = []

        def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
            self.sent.append(command)
            return CommandResult(command, (), ())

        def close(self) -> None:
            """Nothing to close."""

    inner = Recording()
    transport = PlanTransport(inner)
    transport.run(Command.of("Get-Service", Name="Clisvcl"))
    with pytest.raises(PlanViolationError, match="Stop-Service"):
        transport.run(Command.of("Stop-Service", mutating=True, Name="Clisvcl"))
    assert [c.cmdlet for c in inner.sent] == ["Get-Service"]


def test_fingerprints_move_only_for_the_host_that_changed(lab: RunningLab, tmp_path: Path) -> None:
    """A plan file round-trips; Guest enabled on DC1 after planning drifts DC1 alone."""
    prepared = _prepared(lab, tmp_path, GUEST_THEN_MEMBERSHIP)
    first = _plan(lab, prepared)
    saved = tmp_path / "plan.json"
    write_plan(
        plan_file(Request(prepared.playbook_path, prepared.inventory.path), prepared, first), saved
    )
    plan = read_plan(saved)
    assert find_drift(plan, _plan(lab, prepared)) == []
    with lab.backend.inspect() as state:
        guest = next(u for u in state.ad.store.users() if u.sid.endswith("-501"))
        guest.enabled = True
    drifts = find_drift(plan, _plan(lab, prepared))
    assert [d.host for d in drifts] == ["DC1"]
    assert any("'Enable Guest': planned will-change" in line for line in drifts[0].lines)


def test_a_damaged_plan_file_names_the_field(tmp_path: Path) -> None:
    """Another format, another version, a bad field: each an InputError saying what to do."""
    from orchestrator.errors import InputError

    path = tmp_path / "plan.json"
    path.write_text('{"format": "terraform"}')
    with pytest.raises(InputError, match="not an orchestrator plan"):
        read_plan(path)
    path.write_text('{"format": "orchestrator-plan", "version": 9}')
    with pytest.raises(InputError, match="version 9"):
        read_plan(path)
    path.write_text('{"format": "orchestrator-plan", "version": 2, "hosts": 3}')
    with pytest.raises(InputError) as info:
        read_plan(path)
    assert info.value.problems[0].field
    with pytest.raises(InputError, match="no plan file"):
        read_plan(tmp_path / "missing.json")
    assert PlanFile.model_fields["version"].default == 2
