"""One wording of how a run or plan ended, from its exit code, the same in every format."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable

import pytest
from rich.console import Console

from orchestrator.engine import events as ev
from orchestrator.report.console import print_result
from orchestrator.report.document import ReportBuilder, ReportDocument
from orchestrator.report.html import render_html
from orchestrator.report.markdown import render_markdown
from orchestrator.report.text import render_text
from orchestrator.report.verdict import result_text
from tests.report.sample_documents import ABORT_REASON, plan_document, run_document

SUCCESS_WORDS = re.compile(r"\b(complete|completed|succeeded|success|successful)\b", re.I)


def _console(doc: ReportDocument) -> str:
    out = io.StringIO()
    print_result(Console(file=out, width=400, color_system=None), doc)
    return out.getvalue()


RENDERERS: dict[str, Callable[[ReportDocument], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": lambda doc: html.unescape(render_html(doc)),
    "console": _console,
}


def _run(code: int) -> ReportDocument:
    doc = run_document()
    doc.exit_code = code
    return doc


def _plan(code: int) -> ReportDocument:
    doc = plan_document()
    doc.exit_code = code
    return doc


RUNS = {
    0: "succeeded, 3 changes made, 1 rolled back (exit 0)",
    1: f"failed — 6 hosts failed; stopped early: {ABORT_REASON} (exit 1)",
    2: "invalid input: nothing was run (exit 2)",
    3: "failed, rollback incomplete — still open on cap1: its failsafe fires at the deadline;"
    " finish with `orchestrator rollback run-20260301-1` (exit 3)",
    4: f"refused — {ABORT_REASON} (exit 4)",
    5: "credential rejected — cap-local (cap5\\admin) by cap5: one attempt, no other host"
    " contacted with it (exit 5)",
    6: "ended with exit 6",
}
PLANS = {
    0: "5 changes pending, 1 unknown (exit 0)",
    1: "failed — at least one host could not be planned (exit 1)",
    2: "invalid input: nothing was planned (exit 2)",
    3: "ended with exit 3",
    4: "refused — a window's revert cannot fit its deadline (exit 4)",
    5: "credential rejected: one attempt, no other host contacted with it (exit 5)",
    6: "5 changes pending, 1 unknown (exit 6 with --detailed-exitcode)",
}


@pytest.mark.parametrize("code", range(7))
@pytest.mark.parametrize("fmt", RENDERERS)
def test_run_result_wording_is_one_and_the_same_in_every_format(fmt: str, code: int) -> None:
    """Each format carries `Result: <the one wording>`; only exit 0 may say it succeeded."""
    shown = RENDERERS[fmt](_run(code))
    wording = result_text(_run(code))
    assert wording == RUNS[code]
    assert wording in shown
    line = next(line for line in shown.splitlines() if wording in line)
    assert "Result" in line
    if code != 0:
        assert not SUCCESS_WORDS.search(wording), wording


@pytest.mark.parametrize("code", range(7))
@pytest.mark.parametrize("fmt", RENDERERS)
def test_plan_result_wording_is_one_and_the_same_in_every_format(fmt: str, code: int) -> None:
    """A plan's wording says what is pending, and what its exit code means."""
    shown = RENDERERS[fmt](_plan(code))
    wording = result_text(_plan(code))
    assert wording == PLANS[code]
    assert wording in shown
    assert not SUCCESS_WORDS.search(wording), wording


def test_no_contradiction_in_any_exit_code() -> None:
    """A non-zero exit never reads as success, `complete` appears nowhere in a result."""
    for make in (_run, _plan):
        for code in (*range(7), 70):
            wording = result_text(make(code))
            assert f"exit {code}" in wording
            if code:
                assert not SUCCESS_WORDS.search(wording), wording


def test_a_run_that_changed_nothing_and_one_without_an_exit_code() -> None:
    """Exit 0 without changes says so; no exit code known: the wording comes from the results."""
    doc = ReportBuilder(plan_document()).document
    doc.kind = "run"
    doc.results = [r for r in doc.results if r.outcome.value == "no-change"]
    doc.exit_code = 0
    assert result_text(doc) == "succeeded, nothing changed (exit 0)"
    doc.exit_code = None
    assert result_text(doc) == "succeeded, nothing changed"
    failed = run_document()
    failed.exit_code = None
    assert result_text(failed) == (
        "failed, rollback incomplete — still open on cap1: its failsafe fires at the deadline;"
        " finish with `orchestrator rollback run-20260301-1`"
    )
    healthy = plan_document()
    healthy.exit_code = 0
    healthy.results = [r for r in healthy.results if r.outcome.value != "will-change"]
    healthy.results = [r for r in healthy.results if r.outcome.value != "unknown"]
    assert result_text(healthy) == "nothing to change (exit 0)"


def test_html_colours_the_result_by_exit_code() -> None:
    """The verdict box is good only for exit 0 (and a plan's 6: changes pending is no fault)."""
    assert '<p class="verdict good">' in render_html(_run(0))
    assert '<p class="verdict bad">' in render_html(_run(5))
    assert '<p class="verdict good">' in render_html(_plan(6))
    assert '<p class="verdict bad">' in render_html(_plan(1))


def test_rejected_credentials_are_named_from_the_preflight() -> None:
    """Exit 5 names the rejected credential, its user and the host that rejected it."""
    doc = plan_document()
    ReportBuilder(doc)(ev.CredentialRejected("cap-local", "cap5\\admin", "cap5"))
    doc.exit_code = 5
    assert result_text(doc) == (
        "credential rejected — cap-local (cap5\\admin) by cap5: one attempt, no other host"
        " contacted with it (exit 5)"
    )
