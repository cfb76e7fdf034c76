"""What every report format shows: which hosts a step owes a result, and how values read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.report import view
from orchestrator.report.document import ReportBuilder, ReportDocument, skeleton
from orchestrator.secrets import Secret
from tests.report.sample_documents import (
    CANARY,
    INVENTORY_PATH,
    STEP_CREATE,
    STEP_GUEST,
    playbook,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _built(*events: ev.Event) -> ReportDocument:
    builder = ReportBuilder(skeleton("run", playbook(), INVENTORY_PATH))
    builder(ev.RunStarted("r", "Recover TB1", ("dc1", "cap1", "cap2", "cap3"), START))
    for event in events:
        builder(event)
    return builder.document


def test_step_started_records_targets_as_a_union() -> None:
    """A step started twice (batches, resume) keeps every host it was started on, in order."""
    doc = _built(
        ev.StepStarted(2, STEP_GUEST, "local_user", ("cap2",)),
        ev.StepStarted(2, STEP_GUEST, "local_user", ("cap1", "cap2")),
    )
    assert doc.steps[2].targets == ("cap2", "cap1")
    assert doc.steps[0].targets == ()


def test_targets_are_in_the_runs_host_order() -> None:
    """Recorded targets and hosts with results, ordered as the run lists its hosts."""
    doc = _built(
        ev.StepStarted(2, STEP_GUEST, "local_user", ("cap3", "cap1")),
        ev.HostStepFinished(STEP_GUEST, "cap2", Status.OK),
    )
    assert view.targets_of(doc, doc.steps[2]) == ["cap1", "cap2", "cap3"]


def test_without_recorded_targets_results_decide_unless_the_run_stopped() -> None:
    """No targets: the hosts with results; after an abort, every host of the run."""
    doc = _built(ev.HostStepFinished(STEP_CREATE, "dc1", Status.OK))
    step = replace(doc.steps[0], targets=())
    doc.steps[0] = step
    assert view.targets_of(doc, step) == ["dc1"]
    assert view.targets_of(doc, doc.steps[5]) == []
    doc.aborted = "stopped: SIGTERM"
    assert view.targets_of(doc, doc.steps[5]) == ["dc1", "cap1", "cap2", "cap3"]
    assert view.not_run_reason(doc) == "the run stopped early (stopped: SIGTERM)"


def test_results_outside_the_playbook_become_pseudo_steps_first() -> None:
    """A result for (connect) gets its own step, before the playbook's, with its hosts."""
    doc = _built(
        ev.HostStepFinished("(connect)", "cap3", Status.UNREACHABLE, error="refused"),
        ev.HostStepFinished(STEP_CREATE, "dc1", Status.OK),
    )
    steps = view.report_steps(doc)
    assert [s.name for s in steps[:2]] == ["(connect)", STEP_CREATE]
    assert steps[0].index == -1
    assert view.targets_of(doc, steps[0]) == ["cap3"]
    assert list(view.results_for(doc, steps[0])) == ["cap3"]
    doc.aborted = "stopped"
    assert view.targets_of(doc, steps[0]) == ["cap3"]  # connecting is owed by no other host


def test_the_latest_result_of_a_host_wins() -> None:
    """A resumed run may report a step twice on a host: the later result is the one shown."""
    doc = _built(
        ev.HostStepFinished(STEP_CREATE, "dc1", Status.FAILED, error="first"),
        ev.HostStepFinished(STEP_CREATE, "dc1", Status.CHANGED),
    )
    assert view.results_for(doc, doc.steps[0])["dc1"].outcome.value == "changed"


def test_compact_values_read_like_json_and_hide_secrets() -> None:
    """Keys bare when they can be, strings quoted, sets sorted, Secrets redacted."""
    value = {
        "name": "Guest",
        "odd key": 1,
        "groups": ("Users", "Guests"),
        "tags": {"b", "a"},
        "password": Secret(CANARY),
        "nested": {"when": START},
        "none": None,
    }
    assert view.compact(value) == (
        '{groups: ["Users", "Guests"], name: "Guest", nested: {when: "2026-03-01T09:00:00Z"},'
        ' none: null, "odd key": 1, password: "********", tags: ["a", "b"]}'
    )
    assert view.safe_text(Secret(CANARY)) == "********"


def test_times_and_durations_for_people_and_machines() -> None:
    """UTC with a Z for machines; short durations and clear margins for people."""
    assert view.iso(datetime(2026, 3, 1, 10, 0)) == "2026-03-01T10:00:00Z"  # naive: taken as UTC
    plus_one = datetime(2026, 3, 1, 11, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=1)))
    assert view.iso(plus_one) == "2026-03-01T11:00:00Z"
    assert view.duration(7200) == "2h"
    assert view.duration(90.4) == "1m30s"
    assert view.duration(0.25) == "250ms"
    assert view.duration(-5) == "-5s"
    window = skeleton("run", playbook(), INVENTORY_PATH).windows[0]
    window.deadline = START + timedelta(hours=2)
    window.closed = START + timedelta(hours=2, seconds=30)
    assert view.margin_text(window) == "30s AFTER the deadline (late)"
    window.closed = START + timedelta(minutes=10)
    assert view.margin_text(window) == "1h50m before the deadline"
