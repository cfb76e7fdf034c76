"""Every time shown to people has its date and its zone, in one form: `2026-03-01 09:00:00 UTC`."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rich.console import Console

from orchestrator.engine import events as ev
from orchestrator.report import view
from orchestrator.report.console import ConsoleObserver
from orchestrator.report.document import ReportBuilder, ReportDocument
from orchestrator.report.html import render_html
from orchestrator.report.junit import render_junit
from orchestrator.report.markdown import render_markdown
from orchestrator.report.text import render_text
from tests.report.sample_documents import STEP_GUEST, plan_document, run_document

# a time of day anywhere in the output; each must sit inside one of THE_FORM
TIME_OF_DAY = re.compile(r"(?<![\w.:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")  # not host:5985
MACHINE_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:")  # ISO 8601: the JSON report's, not people's
THE_FORM = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")
PLUS_TWO = timezone(timedelta(hours=2))


def _bare_times(text: str) -> list[str]:
    """Times of day in `text` that are not part of a `YYYY-MM-DD HH:MM:SS UTC`."""
    covered = [m.span() for m in THE_FORM.finditer(text)]
    return [
        text[max(0, m.start() - 20) : m.end() + 8]
        for m in TIME_OF_DAY.finditer(text)
        if not any(start <= m.start() and m.end() <= end for start, end in covered)
    ]


def _with_moments(doc: ReportDocument) -> ReportDocument:
    """The document with a datetime (not in UTC) among a result's values."""
    ReportBuilder(doc)(
        ev.Predicted(
            STEP_GUEST,
            "cap1",
            "will-change",
            "enable Guest",
            {"enabled": False, "last_logon": datetime(2026, 2, 27, 23, 30, tzinfo=PLUS_TWO)},
            {"enabled": True, "last_logon": datetime(2026, 3, 1, 8, 0, tzinfo=PLUS_TWO)},
        )
    )
    return doc


@pytest.mark.parametrize(
    "render",
    [render_text, render_markdown, render_html, render_junit],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("make", [run_document, plan_document], ids=["run", "plan"])
def test_every_time_in_a_report_has_its_date_and_zone(
    render: Callable[[ReportDocument], str], make: Callable[[], ReportDocument]
) -> None:
    """Starts, finishes, deadlines, window opening and closing, and datetimes among values."""
    shown = html.unescape(render(_with_moments(make())))
    assert _bare_times(shown) == []
    assert MACHINE_FORM.findall(shown) == []
    assert "2026-02-27 21:30:00 UTC" in shown  # +02:00 converted to UTC, with its date


def test_the_console_says_a_windows_deadline_with_date_and_zone() -> None:
    """The live console's window line gives the deadline as the reports do, never a bare time."""
    out = io.StringIO()
    observer = ConsoleObserver(Console(file=out, width=200, color_system=None))
    deadline = datetime(2026, 12, 4, 23, 15, 3, tzinfo=PLUS_TWO)
    observer(ev.WindowOpened("guest-access", deadline, 32.0, "budget"))
    printed = out.getvalue()
    assert "2026-12-04 21:15:03 UTC" in printed
    assert _bare_times(printed) == []


def test_one_helper_for_people_one_for_machines() -> None:
    """`when` for people (UTC, date, zone), `iso` for machines (ISO 8601 with Z)."""
    moment = datetime(2026, 3, 1, 11, 0, tzinfo=PLUS_TWO)
    assert view.when(moment) == "2026-03-01 09:00:00 UTC"
    assert view.iso(moment) == "2026-03-01T09:00:00Z"
    assert view.when(datetime(2026, 3, 1, 9, 0)) == "2026-03-01 09:00:00 UTC"  # naive: UTC
    assert view.when(None) == "-"
    assert view.when(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) == "2026-03-01 09:00:00 UTC"
