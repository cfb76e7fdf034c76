"""The diagnosis as JSON and its schema: committed, complete, and strict enough to catch mistakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from orchestrator.diagnosis import diagnose
from orchestrator.diagnosis.facts import Facts, Failure, Part, Unread
from orchestrator.diagnosis.json_report import diagnosis_schema, render_json
from orchestrator.diagnosis.report import Header, Rejected

from .sites import broken, caps, healthy, with_site

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "diagnose.schema.json"
REGENERATE = (
    ".venv/bin/python -c 'import json; from orchestrator.diagnosis.json_report import"
    " diagnosis_schema; print(json.dumps(diagnosis_schema(), indent=2, ensure_ascii=False))'"
    " > docs/diagnose.schema.json"
)
UNREAD = (Unread(Part.CAP, "CAP1", Failure.UNREACHABLE, "connection refused"),)
SAMPLES = {
    "broken": (broken(), 6),
    "healthy": (healthy(), 0),
    "unread": (healthy(caps=caps()[:1], unread=UNREAD), 1),
    "no-site": (broken(site=None, directory=None), 1),
    "no-settings": (with_site(broken(), settings=None, settings_unknown="Get-CMSite failed"), 6),
}


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        diagnosis_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _data(facts: Facts, code: int, **header: Any) -> dict[str, Any]:
    text = render_json(diagnose(facts), Header("inv.yml", "TB1", code, "0.1.0", **header))
    return json.loads(text)  # type: ignore[no-any-return]


def test_committed_schema_is_the_generated_one() -> None:
    """docs/diagnose.schema.json is exactly diagnosis_schema(), so the docs cannot drift."""
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == diagnosis_schema(), f"regenerate it: {REGENERATE}"


def test_schema_is_valid_draft_2020_12() -> None:
    """The schema itself is a valid draft 2020-12 schema."""
    schema = diagnosis_schema()
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
    found = dict(_properties(diagnosis_schema()))
    assert {".methods", "/$defs/account.likely_lockers", "/$defs/cap.guest_can_work"} <= set(found)
    assert [path for path, sub in found.items() if not sub.get("description")] == []


@pytest.mark.parametrize("name", SAMPLES)
def test_the_output_validates_against_the_schema(name: str) -> None:
    """Every shape of diagnosis (broken, healthy, incomplete, site unread) is valid JSON of
    the schema, keys in the schema's order."""
    facts, code = SAMPLES[name]
    data = _data(facts, code, rejected=(Rejected("lab_operator", "CONTOSO\\labadmin", "DC1"),))
    _validator().validate(data)
    assert list(data) == list(diagnosis_schema()["properties"])


def test_the_schema_catches_a_wrong_value() -> None:
    """A verdict the schema does not know, or a missing field, is refused."""
    data = _data(broken(), 6)
    wrong = json.loads(json.dumps(data))
    wrong["methods"][0]["verdict"] = "maybe"
    assert list(_validator().iter_errors(wrong))
    missing = {k: v for k, v in data.items() if k != "accounts"}
    assert list(_validator().iter_errors(missing))


def test_the_articles_site_in_json() -> None:
    """Every client failing with 2147942405, the account locked out with its lockers named,
    method 1 and the rotation recommended."""
    data = _data(broken(), 6)
    assert {c["last_error"]["code"] for c in data["clients"]} == {2147942405}
    (account,) = data["accounts"]
    assert account["state"] == "locked-out"
    assert account["likely_lockers"] == ["WKS0001", "WKS0002", "WKS0003"]
    assert data["recommended"] == ["method-1", "rotation"]
    assert data["state"] == "broken"
    assert data["exit_code"] == 6


def test_a_site_with_one_account_is_at_risk() -> None:
    """Healthy but for the second account: state at-risk, the rotation recommended."""
    data = _data(with_site(healthy(), accounts=("CONTOSO\\SMSClient_TB1",)), 6)
    assert (data["state"], data["healthy"], data["recommended"]) == ("at-risk", False, ["rotation"])
    assert [n["code"] for n in data["notes"]] == ["too-few-accounts"]


def test_header_fields_are_as_given() -> None:
    """The limit and the rejected credential (its name and user, never a password)."""
    data = _data(replace(broken()), 5, limit="all:!CAP1",
                 rejected=(Rejected("lab_operator", "CONTOSO\\labadmin", "DC1"),))  # fmt: skip
    assert data["limit"] == "all:!CAP1"
    assert data["credentials_rejected"] == [
        {"credential": "lab_operator", "username": "CONTOSO\\labadmin", "host": "DC1"}
    ]
