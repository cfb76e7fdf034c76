"""Reports say where each generated secret went (run) or would go (plan), never its value."""

from __future__ import annotations

import json

import jsonschema
import pytest

from orchestrator.engine import events as ev
from orchestrator.report.document import EscrowInfo, ReportBuilder, ReportDocument, skeleton
from orchestrator.report.files import render
from orchestrator.report.json_report import report_schema
from orchestrator.report.junit import render_junit
from tests.report.sample_documents import INVENTORY_PATH, plan_document, playbook, run_document

FILE = "file:/srv/escrow/run-7-new_account_password.txt"
COMMAND = "command:pass insert -m sms/tb1"
FORMATS = ("text", "markdown", "html", "json")


def _with_escrows(doc: ReportDocument, *, planned: bool) -> ReportDocument:
    builder = ReportBuilder(doc)
    builder(ev.SecretEscrowed("new_account_password", FILE, planned=planned))
    builder(ev.SecretEscrowed("vault_copy", COMMAND, planned=planned))
    builder(ev.SecretEscrowed("scratch", "", planned=planned))
    return builder.document


def test_the_builder_keeps_each_escrow_event() -> None:
    """SecretEscrowed events become the document's escrows, in the order they came."""
    doc = _with_escrows(skeleton("run", playbook(), INVENTORY_PATH), planned=False)
    assert doc.escrows == [
        EscrowInfo("new_account_password", FILE),
        EscrowInfo("vault_copy", COMMAND),
        EscrowInfo("scratch", ""),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_run_report_says_where_each_secret_went(fmt: str) -> None:
    """Every format names each destination, and says which secret is kept nowhere."""
    text = render(_with_escrows(run_document(), planned=False), fmt)
    assert "Generated secrets" in text or '"escrows"' in text
    for shown in ("/srv/escrow/run-7-new_account_password.txt", "pass insert -m sms/tb1"):
        assert shown in text
    if fmt != "json":
        assert "escrowed to" in text
        assert "would be" not in text
        assert "not escrowed" in text


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_a_plan_report_says_where_each_secret_would_go(fmt: str) -> None:
    """A plan's wording is conditional: it has handed nothing over."""
    text = render(_with_escrows(plan_document(), planned=True), fmt)
    assert "would be escrowed to" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_without_generated_secrets_no_section_is_added(fmt: str) -> None:
    """A playbook that generates nothing: the report has no secrets section (JSON: [])."""
    text = render(run_document(), fmt)
    assert "Generated secrets" not in text
    if fmt == "json":
        assert json.loads(text)["escrows"] == []


def test_the_json_report_holds_escrows_and_meets_its_schema() -> None:
    """JSON: name, destination and whether it was planned; valid against the schema."""
    data = json.loads(render(_with_escrows(plan_document(), planned=True), "json"))
    assert data["schema_version"] == 2
    assert data["escrows"][0] == {
        "secret": "new_account_password",
        "destination": FILE,
        "planned": True,
    }
    jsonschema.Draft202012Validator(report_schema()).validate(data)


def test_junit_is_unchanged_by_escrows() -> None:
    """JUnit holds test cases per host and step only: escrows add none."""
    doc = run_document()
    before = render_junit(doc)
    assert render_junit(_with_escrows(doc, planned=False)) == before
