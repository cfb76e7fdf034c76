"""The JUnit report: valid against our XSD, counts that add up, every targeted host a testcase."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.report.document import ReportBuilder, ReportDocument, skeleton
from orchestrator.report.junit import render_junit
from tests.report.sample_documents import (
    ABORT_REASON,
    INVENTORY_PATH,
    RUN_HOSTS,
    STEP_CREATE,
    STEP_DELETE,
    STEP_GUEST,
    STEP_RESTART,
    STEP_WAIT,
    UNKNOWN_REASON,
    plan_document,
    playbook,
    run_document,
)

XSD = Path(__file__).with_name("junit.xsd")


def _parse(doc: ReportDocument) -> ET.Element:
    return ET.fromstring(render_junit(doc))


def _suite(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f"testsuite[@name='{name}']")
    assert found is not None, name
    return found


def _case(suite: ET.Element, host: str) -> ET.Element:
    found = suite.find(f"testcase[@name='{host}']")
    assert found is not None, host
    return found


def _outcome(case: ET.Element) -> str | None:
    prop = case.find("properties/property[@name='outcome']")
    return None if prop is None else prop.get("value")


def _counts(element: ET.Element) -> tuple[int, int, int, int]:
    return tuple(int(element.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped"))  # type: ignore[return-value]


def _built(events: list[ev.Event]) -> ReportDocument:
    builder = ReportBuilder(skeleton("run", playbook(), INVENTORY_PATH))
    for event in events:
        builder(event)
    return builder.document


@pytest.mark.parametrize("make", [run_document, plan_document], ids=["run", "plan"])
def test_valid_against_the_xsd(make: object) -> None:
    """Runs and plans, as rendered, validate against tests/report/junit.xsd."""
    assert callable(make)
    xmlschema.XMLSchema(XSD).validate(render_junit(make()))


def test_xsd_rejects_what_we_never_write() -> None:
    """The XSD is strict: a testcase with two verdicts or without a host fails it."""
    schema = xmlschema.XMLSchema(XSD)
    two = (
        '<testsuites name="p" tests="1" failures="1" errors="1" skipped="0">'
        '<testsuite name="s" tests="1" failures="1" errors="1" skipped="0">'
        '<testcase classname="p.s" name="h"><failure type="failed" message="m"/>'
        '<error type="unreachable" message="m"/></testcase></testsuite></testsuites>'
    )
    nameless = two.replace(' name="h"', "").replace('<error type="unreachable" message="m"/>', "")
    assert not schema.is_valid(two)
    assert not schema.is_valid(nameless)


def test_counts_match_the_testcases_in_every_suite() -> None:
    """Each suite's tests/failures/errors/skipped count its testcases; the root adds them up."""
    for doc in (run_document(), plan_document()):
        root = _parse(doc)
        totals = [0, 0, 0, 0]
        for suite in root.findall("testsuite"):
            cases = suite.findall("testcase")
            expected = (
                len(cases),
                sum(c.find("failure") is not None for c in cases),
                sum(c.find("error") is not None for c in cases),
                sum(c.find("skipped") is not None for c in cases),
            )
            assert _counts(suite) == expected, suite.get("name")
            totals = [a + b for a, b in zip(totals, expected, strict=True)]
        assert _counts(root) == tuple(totals)


def test_run_suites_and_their_counts() -> None:
    """One suite per step (after (connect)), with the counts the run's outcomes give."""
    root = _parse(run_document())
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "(connect)",
        STEP_CREATE,
        STEP_DELETE,
        STEP_GUEST,
        "Put the local Guest in Users",
        STEP_WAIT,
        STEP_RESTART,
    ]
    assert _counts(_suite(root, "(connect)")) == (2, 1, 1, 0)
    assert _counts(_suite(root, STEP_GUEST)) == (3, 2, 1, 0)
    assert _counts(_suite(root, STEP_WAIT)) == (1, 1, 0, 0)
    assert _counts(_suite(root, STEP_RESTART)) == (len(RUN_HOSTS), 0, len(RUN_HOSTS), 0)
    assert root.get("time") == "240.000"


def test_outcomes_map_to_junit_verdicts() -> None:
    """changed/ok/rolled-back pass; failed, rollback-failed, deadline-missed are failures."""
    root = _parse(run_document())
    created = _case(_suite(root, STEP_CREATE), "dc1")
    assert created.get("classname") == f"Recover TB1.{STEP_CREATE}"
    assert _outcome(created) == "changed"
    assert [child.tag for child in created] == ["properties", "system-out"]
    assert created.findtext("system-out", "").startswith("create SMSClient2_TB1 | enabled\n")
    guest = _suite(root, STEP_GUEST)
    failure = _case(guest, "cap1").find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == (
        "rollback-failed",
        "Guest still enabled",
    )
    cap4 = _case(guest, "cap4").find("failure")
    assert cap4 is not None
    assert cap4.get("message") == "Set-LocalUser: Access denied | code 5"
    assert cap4.text == "Set-LocalUser: Access denied | code 5\nsecond line (after 3 attempts)"
    rolled = _case(_suite(root, "Put the local Guest in Users"), "cap1")
    assert _outcome(rolled) == "rolled-back"
    assert rolled.find("failure") is None
    missed = _case(_suite(root, STEP_WAIT), "site1").find("failure")
    assert missed is not None
    assert missed.get("type") == "deadline-missed"


def test_unreachable_hosts_have_error_testcases() -> None:
    """A host unreachable at connect or in a step is an <error type="unreachable">."""
    root = _parse(run_document())
    for suite, host, message in (
        ("(connect)", "cap3", "cap3:5985: connection refused"),
        (STEP_GUEST, "cap2", "cap2: connection dropped"),
    ):
        error = _case(_suite(root, suite), host).find("error")
        assert error is not None
        assert (error.get("type"), error.get("message")) == ("unreachable", message)


def test_targets_without_a_result_are_not_run_errors() -> None:
    """A step the aborted run never reached still has a testcase for each host: not run."""
    suite = _suite(_parse(run_document()), STEP_RESTART)
    assert [c.get("name") for c in suite.findall("testcase")] == list(RUN_HOSTS)
    for case in suite.findall("testcase"):
        error = case.find("error")
        assert error is not None
        assert error.get("type") == "not-run"
        assert ABORT_REASON in (error.get("message") or "")


def test_a_host_started_but_never_finished_is_not_run() -> None:
    """Without an abort: a host a step was started on but that has no result is not run."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    doc = _built(
        [
            ev.RunStarted("r", "Recover TB1", ("dc1", "dc2"), start),
            ev.StepStarted(0, STEP_CREATE, "ad_user", ("dc1", "dc2")),
            ev.HostStepFinished(STEP_CREATE, "dc1", Status.OK),
            ev.RunFinished("r", False, start),
        ]
    )
    suite = _suite(_parse(doc), STEP_CREATE)
    assert [c.get("name") for c in suite.findall("testcase")] == ["dc1", "dc2"]
    error = _case(suite, "dc2").find("error")
    assert error is not None
    assert error.get("type") == "not-run"
    # a step that never started, in a run that did not stop early, owes no host a testcase
    assert _counts(_suite(_parse(doc), STEP_RESTART)) == (0, 0, 0, 0)


def test_an_ignored_failure_passes() -> None:
    """A failure the step ignores (ignore_errors) passes, marked ignored, its error in system-out."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    doc = _built(
        [
            ev.RunStarted("r", "Recover TB1", ("dc1",), start),
            ev.StepStarted(0, STEP_CREATE, "ad_user", ("dc1",)),
            ev.HostStepFinished(STEP_CREATE, "dc1", Status.FAILED, error="boom", ignored=True),
        ]
    )
    case = _case(_suite(_parse(doc), STEP_CREATE), "dc1")
    assert case.find("failure") is None
    assert case.find("properties/property[@name='ignored']") is not None
    assert "boom" in case.findtext("system-out", "")


def test_plan_unknown_passes_and_skipped_is_skipped() -> None:
    """A plan's unknown is a pass with its reason in system-out; skipped is <skipped>."""
    root = _parse(plan_document())
    unknown = _case(_suite(root, STEP_WAIT), "site1")
    assert _outcome(unknown) == "unknown"
    assert [child.tag for child in unknown] == ["properties", "system-out"]
    assert unknown.findtext("system-out") == UNKNOWN_REASON
    skipped = _case(_suite(root, "Put the local Guest in Users"), "cap2").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "when: is false"
    assert _counts(root) == (9, 0, 0, 1)


def test_control_characters_cannot_break_the_xml() -> None:
    """Text that XML cannot carry (terminal escapes, NUL) is replaced, and the file still parses."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    doc = _built(
        [
            ev.RunStarted("r", "Recover TB1", ("dc1",), start),
            ev.HostStepFinished(STEP_CREATE, "dc1", Status.FAILED, error="\x1b[31mred\x00"),
        ]
    )
    failure = _case(_suite(_parse(doc), STEP_CREATE), "dc1").find("failure")
    assert failure is not None
    assert failure.text == "\ufffd[31mred\ufffd"
