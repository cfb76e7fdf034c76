"""The JSON report and its schema: committed, complete, and strict enough to catch mistakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from orchestrator.report.document import SCHEMA_VERSION, ReportDocument
from orchestrator.report.json_report import render_json, report_schema
from tests.report.sample_documents import CANARY, plan_document, run_document

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "report.schema.json"
REGENERATE = (
    ".venv/bin/python -c 'import json; from orchestrator.report.json_report import report_schema;"
    " print(json.dumps(report_schema(), indent=2, ensure_ascii=False))' > docs/report.schema.json"
)


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        report_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.fixture(params=["run", "plan"])
def doc(request: pytest.FixtureRequest) -> ReportDocument:
    return run_document() if request.param == "run" else plan_document()


def test_committed_schema_is_the_generated_one() -> None:
    """docs/report.schema.json is exactly report_schema(), so the docs cannot drift."""
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == report_schema(), f"regenerate it: {REGENERATE}"


def test_schema_is_valid_draft_2020_12() -> None:
    """The schema itself is a valid draft 2020-12 schema."""
    schema = report_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, sub in node.items():
            yield from _properties(sub, f"{path}/{key}")


def test_every_field_is_documented() -> None:
    """Each property the schema names, nested ones included, has a description."""
    found = dict(_properties(report_schema()))
    assert {".results", "/$defs/result.reason", "/properties/counts.unknown"} <= set(found)
    assert [path for path, sub in found.items() if not sub.get("description")] == []


def test_rendered_reports_validate(doc: ReportDocument) -> None:
    """Runs and plans, as rendered, validate against the schema."""
    _validator().validate(json.loads(render_json(doc)))


def test_schema_rejects_what_a_report_never_holds() -> None:
    """An unknown outcome, a missing field, an extra field or a local time fail validation."""
    good = json.loads(render_json(run_document()))
    bad_outcome = json.loads(json.dumps(good))
    bad_outcome["results"][0]["outcome"] = "exploded"
    missing = json.loads(json.dumps(good))
    del missing["results"][0]["host"]
    extra = json.loads(json.dumps(good))
    extra["steps"][0]["password"] = "x"
    local_time = json.loads(json.dumps(good))
    local_time["started"] = "2026-03-01T10:00:00+01:00"
    for broken in (bad_outcome, missing, extra, local_time):
        assert not _validator().is_valid(broken)


def test_shape_and_order_are_stable() -> None:
    """schema_version comes first; keys keep one order; rendering twice gives the same text."""
    doc = plan_document()
    text = render_json(doc)
    data = json.loads(text)
    assert next(iter(data)) == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION
    assert list(data) == list(report_schema()["properties"])
    assert text == render_json(doc)
    assert text.startswith('{\n  "schema_version": 2,\n  "kind": "plan",')


def test_values_are_iso_utc_and_outcome_strings() -> None:
    """Times are ISO 8601 UTC with a Z; outcomes are their string values; counts add up."""
    data = json.loads(render_json(run_document()))
    assert data["started"].endswith("Z")
    assert data["windows"][0]["deadline"].endswith("Z")
    by_host = {(r["step"], r["host"]): r["outcome"] for r in data["results"]}
    assert by_host[("Enable the local Guest", "cap1")] == "rollback-failed"
    assert by_host[("Wait for the clients", "site1")] == "deadline-missed"
    assert by_host[("(connect)", "cap3")] == "unreachable"
    assert data["counts"]["unreachable"] == 2
    assert sum(data["counts"].values()) == len(data["results"])
    assert data["windows"][0]["complete"] is False
    assert data["windows"][0]["open_hosts"] == ["cap1"]
    assert data["steps"][2]["targets"] == ["cap1", "cap2", "cap4"]


def test_secret_values_are_redacted(doc: ReportDocument) -> None:
    """A Secret inside before/after is written as ******** and its value never appears."""
    text = render_json(doc)
    assert CANARY not in text
    created = json.loads(text)["results"]
    after = next(r["after"] for r in created if r["step"] == "Create the new account")
    assert after["password"] == "********"
