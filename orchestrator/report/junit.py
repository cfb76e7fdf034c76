"""The report as JUnit XML for CI: a testsuite per step, a testcase per host of that step.

A host a step was meant for but has no result for (the run stopped, or the host had left it)
still gets a testcase, as an error of type `not-run`: CI must see it. A plan's `unknown` is
not a failure: it passes, with the reason in its system-out.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from xml.etree import ElementTree as ET  # builds XML only, never parses any

from orchestrator.report import view
from orchestrator.report.diff import change_lines
from orchestrator.report.document import Outcome, ReportDocument, Result, StepInfo


class Verdict(enum.Enum):
    """What CI makes of an outcome."""

    PASSED = "passed"
    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"


VERDICTS = {
    Outcome.OK: Verdict.PASSED,
    Outcome.CHANGED: Verdict.PASSED,
    Outcome.NO_CHANGE: Verdict.PASSED,
    Outcome.WILL_CHANGE: Verdict.PASSED,
    Outcome.ROLLED_BACK: Verdict.PASSED,
    Outcome.UNKNOWN: Verdict.PASSED,  # a plan cannot predict it; not a failure
    Outcome.FAILED: Verdict.FAILURE,
    Outcome.ROLLBACK_FAILED: Verdict.FAILURE,
    Outcome.DEADLINE_MISSED: Verdict.FAILURE,
    Outcome.UNREACHABLE: Verdict.ERROR,
    Outcome.SKIPPED: Verdict.SKIPPED,
}
NOT_RUN_TYPE = "not-run"

# XML 1.0 cannot carry most control characters, even escaped: they would make the file unreadable
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def verdict_of(result: Result) -> Verdict:
    """The result's verdict; a failure the step ignores (ignore_errors) passes."""
    verdict = VERDICTS[result.outcome]
    return Verdict.PASSED if result.ignored and verdict is Verdict.FAILURE else verdict


def render_junit(doc: ReportDocument) -> str:
    """The document as JUnit XML text."""
    root = ET.Element("testsuites", _counted(name=_clean(doc.playbook)))
    for step in view.report_steps(doc):
        suite = _suite(doc, step)
        root.append(suite)
        for key in ("tests", "failures", "errors", "skipped"):
            root.set(key, str(int(root.get(key, "0")) + int(suite.get(key, "0"))))
    seconds = _seconds(doc.started, doc.finished)
    if seconds is not None:
        root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _counted(**attributes: str) -> dict[str, str]:
    """Attributes with the counts in their usual place, set as testcases are added."""
    return {**attributes, "tests": "0", "failures": "0", "errors": "0", "skipped": "0"}


def _suite(doc: ReportDocument, step: StepInfo) -> ET.Element:
    suite = ET.Element("testsuite", _counted(name=_clean(step.name)))
    if step.index >= 0:
        _properties(
            suite,
            module=step.module,
            hosts=step.hosts,
            window=step.window or "",
            irreversible=str(step.irreversible).lower(),
        )
    results = view.results_for(doc, step)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for host in view.targets_of(doc, step):
        verdict = _case(doc, suite, step, host, results.get(host))
        counts["tests"] += 1
        key = {Verdict.FAILURE: "failures", Verdict.ERROR: "errors"}.get(verdict)
        key = "skipped" if verdict is Verdict.SKIPPED else key
        if key:
            counts[key] += 1
    for key, count in counts.items():
        suite.set(key, str(count))
    return suite


def _case(
    doc: ReportDocument, suite: ET.Element, step: StepInfo, host: str, result: Result | None
) -> Verdict:
    """Add the testcase of one host; return its verdict."""
    case = ET.SubElement(
        suite, "testcase", classname=_clean(f"{doc.playbook}.{step.name}"), name=_clean(host)
    )
    if result is None:
        _properties(case, outcome=NOT_RUN_TYPE)
        reason = view.not_run_reason(doc)
        ET.SubElement(case, "error", type=NOT_RUN_TYPE, message=_clean(reason)).text = _clean(
            reason
        )
        return Verdict.ERROR
    _properties(case, **_result_properties(result))
    verdict = verdict_of(result)
    problem = view.detail(result) or view.summary(result) or result.outcome.value
    message = _clean(problem.splitlines()[0] if problem else "")
    if verdict is Verdict.FAILURE:
        failure = ET.SubElement(case, "failure", type=result.outcome.value, message=message)
        failure.text = _clean(problem)
    elif verdict is Verdict.ERROR:
        ET.SubElement(case, "error", type=result.outcome.value, message=message).text = _clean(
            problem
        )
    elif verdict is Verdict.SKIPPED:
        ET.SubElement(case, "skipped", message=message)
    # a failure's or an error's detail is already its element's text
    out = _system_out(result, with_detail=verdict in (Verdict.PASSED, Verdict.SKIPPED))
    if out:
        ET.SubElement(case, "system-out").text = _clean(out)
    return verdict


def _result_properties(result: Result) -> dict[str, str]:
    properties = {"outcome": result.outcome.value}
    if result.ignored:
        properties["ignored"] = "true"
    if result.attempts > 1:
        properties["attempts"] = str(result.attempts)
    if result.error_id:
        properties["error_id"] = view.safe_text(result.error_id)
    return properties


def _system_out(result: Result, *, with_detail: bool) -> str:
    """The summary, what changes and (when asked) the reason or error, one per line."""
    lines = [view.summary(result), *change_lines(result.before, result.after)]
    if with_detail:
        lines.append(view.detail(result))
    return "\n".join(line for line in lines if line)


def _properties(parent: ET.Element, **values: str) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=_clean(value))


def _clean(value: object) -> str:
    return _NOT_XML.sub("\ufffd", view.safe_text(value))


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())
