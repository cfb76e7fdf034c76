"""Well-known SIDs are shown with their names in every report people read."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest

from orchestrator.engine import events as ev
from orchestrator.report.document import ReportBuilder, ReportDocument
from orchestrator.report.html import render_html
from orchestrator.report.json_report import render_json
from orchestrator.report.junit import render_junit
from orchestrator.report.markdown import render_markdown
from orchestrator.report.sids import describe_sid, name_sids
from orchestrator.report.text import render_text
from tests.report.sample_documents import STEP_USERS, plan_document


@pytest.mark.parametrize(
    ("sid", "shown"),
    [
        ("S-1-5-32-544", "S-1-5-32-544 (BUILTIN\\Administrators)"),
        ("S-1-5-32-545", "S-1-5-32-545 (BUILTIN\\Users)"),
        ("S-1-5-32-546", "S-1-5-32-546 (BUILTIN\\Guests)"),
        ("S-1-5-18", "S-1-5-18 (NT AUTHORITY\\SYSTEM)"),
        ("S-1-1-0", "S-1-1-0 (Everyone)"),
        ("S-1-5-11", "S-1-5-11 (NT AUTHORITY\\Authenticated Users)"),
        ("S-1-5-21-*-500", "S-1-5-21-*-500 (Administrator)"),
        ("S-1-5-21-*-501", "S-1-5-21-*-501 (Guest)"),
        ("S-1-5-21-177459249-3656065278-203895649-501", "S-1-5-21-177459249-3656065278-203895649-501 (Guest)"),
        ("S-1-5-21-1-2-3-502", "S-1-5-21-1-2-3-502 (krbtgt)"),
        ("S-1-5-21-1-2-3-512", "S-1-5-21-1-2-3-512 (Domain Admins)"),
        ("S-1-5-21-1-2-3-513", "S-1-5-21-1-2-3-513 (Domain Users)"),
        ("S-1-5-21-1-2-3-514", "S-1-5-21-1-2-3-514 (Domain Guests)"),
        ("s-1-5-32-545", "s-1-5-32-545 (BUILTIN\\Users)"),
    ],
)  # fmt: skip
def test_well_known_sids_have_their_names(sid: str, shown: str) -> None:
    """Microsoft's well-known SIDs and the domain/machine RIDs the playbooks use."""
    assert describe_sid(sid) == shown


@pytest.mark.parametrize(
    "sid",
    ["S-1-5-21-1-2-3-1104", "S-1-5-32-999", "Guest", "", "S-1-5-21-501", "S-1-5-32-545-1"],
)
def test_other_values_are_left_as_they_are(sid: str) -> None:
    """An account's own RID, an unknown alias, a name, or not a SID at all: unchanged."""
    assert describe_sid(sid) == sid


def test_sids_inside_text_are_named_once() -> None:
    """In free text each known SID gains its name; one already named is not named twice."""
    assert name_sids("add S-1-5-21-*-501 to S-1-5-32-545") == (
        "add S-1-5-21-*-501 (Guest) to S-1-5-32-545 (BUILTIN\\Users)"
    )
    once = name_sids("add S-1-5-21-*-501 to S-1-5-32-545")
    assert name_sids(once) == once
    assert name_sids("user S-1-5-21-1-2-3-1104 and S-1-5-32-5450") == (
        "user S-1-5-21-1-2-3-1104 and S-1-5-32-5450"
    )


def _membership_plan() -> ReportDocument:
    doc = plan_document()
    ReportBuilder(doc)(
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


@pytest.mark.parametrize(
    "render", [render_text, render_markdown, render_html, render_junit], ids=lambda f: f.__name__
)
def test_reports_for_people_name_the_sids(render: Callable[[ReportDocument], str]) -> None:
    """Text, Markdown, HTML and JUnit: the summary and the diff name Guest and Users."""
    shown = html.unescape(render(_membership_plan()))
    assert "add S-1-5-21-*-501 (Guest) to S-1-5-32-545 (BUILTIN\\Users)" in shown
    assert '+ members: "S-1-5-21-*-501" (Guest)' in shown


def test_the_json_report_keeps_the_raw_sids() -> None:
    """JSON is data: a SID stays a SID, with no name appended."""
    text = render_json(_membership_plan())
    assert '"S-1-5-21-*-501"' in text
    assert "(Guest)" not in text
