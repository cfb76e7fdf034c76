"""Before/after as a reviewer reads a change ticket: only what changes, Terraform-style."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.engine import events as ev
from orchestrator.report.diff import change_lines
from orchestrator.report.document import ReportBuilder, ReportDocument
from orchestrator.report.html import render_html
from orchestrator.report.junit import render_junit
from orchestrator.report.markdown import render_markdown
from orchestrator.report.text import render_text
from orchestrator.secrets import REDACTED, Secret
from tests.report.sample_documents import CANARY, STEP_GUEST, STEP_USERS, plan_document

GUEST_SID = "S-1-5-21-4158594982-1109576089-2638188913-501"
GUEST = {
    "description": "",
    "enabled": False,
    "exists": True,
    "groups": [],
    "name": "Guest",
    "sid": GUEST_SID,
}


def test_one_field_changes_only_that_field_is_shown() -> None:
    """enabled false -> true; the five fields that stay as they are are counted, not shown."""
    assert change_lines(GUEST, {**GUEST, "enabled": True}) == [
        "~ enabled: false -> true",
        "(5 unchanged fields hidden)",
    ]


def test_list_membership_shows_the_members_added_and_removed() -> None:
    """A list of members: each removed item with -, each added one with +, the rest hidden."""
    before = {"group": "Users", "members": ["CONTOSO\\alice", "CONTOSO\\bob"]}
    after = {"group": "Users", "members": ["CONTOSO\\bob", "S-1-5-21-*-501"]}
    assert change_lines(before, after) == [
        '- members: "CONTOSO\\alice"',
        '+ members: "S-1-5-21-*-501" (Guest)',
        "(1 unchanged field hidden)",
    ]


def test_nested_values_are_diffed_by_path() -> None:
    """A mapping inside a mapping: the changed leaf by its dotted path, added keys with +."""
    before = {"trigger": {"at": "09:00", "enabled": True}, "name": "t"}
    after = {"trigger": {"at": "10:00", "enabled": True, "repeat": "1h"}, "name": "t"}
    assert change_lines(before, after) == [
        '~ trigger.at: "09:00" -> "10:00"',
        '+ trigger.repeat: "1h"',
        "(2 unchanged fields hidden)",
    ]


def test_creation_deletion_and_partial_after() -> None:
    """A new object's fields are added; a deleted one's are removed; fields `after` does not
    speak of (a process run, a wait) are left out rather than shown as removed."""
    assert change_lines({"exists": False}, {"exists": True, "enabled": True}) == [
        "+ enabled: true",
        "~ exists: false -> true",
    ]
    assert change_lines(
        {"exists": True, "name": "old", "sid": "S-1-5-21-1-2-3-1104"}, {"exists": False}
    ) == ["~ exists: true -> false", '- name: "old"', '- sid: "S-1-5-21-1-2-3-1104"']
    assert change_lines({"running": [], "creates": False}, {"ran": "Smsman.exe /u"}) == [
        '+ ran: "Smsman.exe /u"',
        "(2 unchanged fields hidden)",
    ]
    assert change_lines({"aware": 0}, {}) == []  # nothing said about after: nothing shown
    assert change_lines({}, {}) == []


def test_values_read_plainly_secrets_redacted_times_with_date_and_zone() -> None:
    """Strings quoted, None as null, a Secret as ********, a datetime in UTC with its date."""
    when = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    lines = change_lines(
        {"password": None, "changed": None},
        {"password": Secret(CANARY), "changed": when},
    )
    assert lines == [
        "~ changed: null -> 2026-03-01 09:00:00 UTC",
        f"~ password: null -> {REDACTED}",
    ]


def _guest_plan() -> ReportDocument:
    """The sample plan, with the local Guest as the lab's probe reports it."""
    doc = plan_document()
    builder = ReportBuilder(doc)
    builder(
        ev.Predicted(STEP_GUEST, "cap1", "will-change", "enable Guest", GUEST,
                     {**GUEST, "enabled": True})
    )  # fmt: skip
    builder(
        ev.Predicted(
            STEP_USERS,
            "cap1",
            "will-change",
            "add S-1-5-21-*-501 to S-1-5-32-545",
            {"group": "S-1-5-32-545", "members": []},
            {"group": "S-1-5-32-545", "members": ["S-1-5-21-*-501"]},
        )
    )
    return doc


def test_every_format_shows_the_diff_not_the_whole_objects() -> None:
    """Text, Markdown, HTML and JUnit show `enabled: false -> true`, never the whole before."""
    doc = _guest_plan()
    for text in (render_text(doc), render_markdown(doc), render_html(doc), render_junit(doc)):
        assert "enabled: false -&gt; true" in text or "enabled: false -> true" in text
        assert "(5 unchanged fields hidden)" in text
        assert "description" not in text
        assert "+ members: " in text
        assert GUEST_SID not in text  # unchanged, hidden


def test_the_json_report_keeps_the_whole_before_and_after() -> None:
    """JSON is for machines: every field of before and after stays."""
    from orchestrator.report.json_report import report_data

    data = report_data(_guest_plan())
    guest = [r for r in data["results"] if r["step"] == STEP_GUEST and r["host"] == "cap1"][-1]
    assert guest["before"] == GUEST
    assert guest["after"] == {**GUEST, "enabled": True}
