"""A host that left the run is still owed a result in each later step it was selected for."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.modules import MODULES
from orchestrator.playbook.loader import build_playbook
from orchestrator.report.document import ReportBuilder, skeleton
from orchestrator.report.junit import render_junit
from orchestrator.yamlsource import load_text

PLAYBOOK = """\
name: Two steps
steps:
  - {name: First, hosts: client, service: {name: Clisvcl, state: started}}
  - {name: Second, hosts: client, service: {name: Clisvcl, state: restarted}}
"""


def test_a_host_failed_in_step_one_is_not_run_in_step_two() -> None:
    """skeleton(targets=...) from the binding: W2 failed first, so step two reports it not run."""
    playbook = build_playbook(load_text(PLAYBOOK, "play.yml"), MODULES)
    document = skeleton("run", playbook, "inv.yml", [("W1", "W2"), ("W1", "W2")])
    build = ReportBuilder(document)
    now = datetime.now(UTC)
    build(ev.RunStarted("r1", "Two steps", ("W1", "W2"), now))
    build(ev.StepStarted(0, "First", "service", ("W1", "W2")))
    build(ev.HostStepFinished("First", "W1", Status.OK))
    build(ev.HostStepFinished("First", "W2", Status.FAILED, error="Start-Service: it failed"))
    build(ev.StepStarted(1, "Second", "service", ("W1",)))
    build(ev.HostStepFinished("Second", "W1", Status.CHANGED))
    build(ev.RunFinished("r1", True, now))
    root = ET.fromstring(render_junit(document))
    second = next(s for s in root.iter("testsuite") if s.get("name") == "Second")
    cases = {c.get("name"): c for c in second.iter("testcase")}
    assert set(cases) == {"W1", "W2"}
    error = cases["W2"].find("error")
    assert error is not None
    assert error.get("type") == "not-run"
