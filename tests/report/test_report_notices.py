"""Security notices (e.g. certificate validation off) sit near the top of every report."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest

from orchestrator.report.document import ReportDocument, skeleton
from orchestrator.report.files import render
from orchestrator.report.json_report import report_schema
from tests.report.sample_documents import plan_document, playbook, run_document

NOTICE = "certificate validation is off for 2 hosts (dc1, cap1): <b>check</b> them"


def _with_notice(doc: ReportDocument) -> ReportDocument:
    return replace(doc, notices=(NOTICE,))


@pytest.mark.parametrize("make", [run_document, plan_document])
def test_json_has_a_notices_array_the_schema_describes(make: object) -> None:
    """`notices` is a list of strings in the JSON report, valid against report_schema()."""
    doc = _with_notice(make())  # type: ignore[operator]
    data = json.loads(render(doc, "json"))
    assert data["notices"] == [NOTICE]
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    assert json.loads(render(make(), "json"))["notices"] == []  # type: ignore[operator]


@pytest.mark.parametrize(("fmt", "first_section"), [
    ("markdown", "## Credential preflight"),
    ("text", "Credential preflight"),
    ("html", "Credential preflight"),
])  # fmt: skip
def test_the_notice_comes_before_the_first_section(fmt: str, first_section: str) -> None:
    """Markdown, text and HTML show the notice after the header, before the preflight."""
    text = render(_with_notice(run_document()), fmt)
    marker = "certificate validation is off for 2 hosts"
    assert marker in text
    assert text.index(marker) < text.index(first_section)


def test_html_escapes_the_notice() -> None:
    """A notice is text, never markup, in the HTML report."""
    page = render(_with_notice(plan_document()), "html")
    assert "<b>check</b>" not in page
    assert "&lt;b&gt;check&lt;/b&gt;" in page


@pytest.mark.parametrize("fmt", ["markdown", "text", "html"])
def test_no_notice_no_section(fmt: str) -> None:
    """A document without notices renders no notice section."""
    assert "Security notice" not in render(run_document(), fmt)
    assert "Security notice" in render(_with_notice(run_document()), fmt)


def test_skeleton_carries_the_notices() -> None:
    """The document a command builds holds the notices the preparation found."""
    doc = skeleton("plan", playbook(), "inv.yml", notices=(NOTICE,))
    assert doc.notices == (NOTICE,)
