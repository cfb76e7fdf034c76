"""The HTML report: one self-contained page, everything escaped, a colour-coded host grid."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from orchestrator.report.html import render_html
from orchestrator.report.verdict import result_text
from tests.report.sample_documents import (
    ABORT_REASON,
    RUN_HOSTS,
    SCRIPT,
    STEP_GUEST,
    plan_document,
    run_document,
)


@dataclass
class Cell:
    """One cell of the hosts x steps grid."""

    classes: str
    title: str
    text: str = ""


@dataclass
class GridReader(HTMLParser):
    """Reads the table with id="grid": its column headers and, per host, its cells."""

    columns: list[str] = field(default_factory=list)
    rows: dict[str, list[Cell]] = field(default_factory=dict)
    problem_rows: set[str] = field(default_factory=set)
    _in_grid: bool = False
    _where: str = ""
    _host: str = ""
    _problem: bool = False
    _text: str = ""

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id") == "grid":
            self._in_grid = True
        if not self._in_grid:
            return
        if tag == "tr":
            self._problem = found.get("data-problem") == "1"
        if tag in ("th", "td"):
            self._where, self._text = tag + (found.get("scope") or ""), ""
            if tag == "td":
                self.rows[self._host].append(
                    Cell(found.get("class") or "", found.get("title") or "")
                )

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_grid = False
        if not self._in_grid:
            return
        if self._where == "thcol" and tag == "th":
            self.columns.append(self._text)
        elif self._where == "throw" and tag == "th":
            self._host = self._text
            self.rows[self._host] = []
            if self._problem:
                self.problem_rows.add(self._host)
        elif tag == "td":
            self.rows[self._host][-1].text = self._text
        self._where = "" if tag in ("th", "td") else self._where

    def handle_data(self, data: str) -> None:
        if self._where:
            self._text += data


@pytest.fixture(scope="module")
def run_html() -> str:
    return render_html(run_document())


@pytest.fixture(scope="module")
def plan_html() -> str:
    return render_html(plan_document())


def _grid(page: str) -> GridReader:
    reader = GridReader()
    reader.feed(page)
    return reader


def test_a_single_self_contained_html5_page(run_html: str) -> None:
    """One HTML5 document, inline CSS and JS, and nothing fetched by URL."""
    assert run_html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert run_html.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in run_html
    assert run_html.count("<style>") == 1
    assert "http:" not in run_html
    assert "https:" not in run_html
    assert "url(" not in run_html
    assert "@import" not in run_html
    assert not re.search(r"\bsrc=", run_html)
    assert re.findall(r'href="([^"]*)"', run_html) == [
        h for h in re.findall(r'href="([^"]*)"', run_html) if h.startswith("#step-")
    ]


def test_markup_in_values_is_escaped(run_html: str) -> None:
    """A summary holding <script> shows as text; the only script element is the report's own."""
    assert run_html.count("<script>") == 1
    assert SCRIPT not in run_html
    assert "already absent &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in run_html


def test_header_summary(run_html: str) -> None:
    """The header names the run, its verdict and its counts, colour-coded by outcome."""
    assert "<h1>Run of Recover TB1</h1>" in run_html
    verdict = html.escape(result_text(run_document()))
    assert verdict.startswith("failed, rollback incomplete — still open on cap1")
    assert f'<p class="verdict bad">Result: {verdict}</p>' in run_html
    assert '<li class="o-unreachable">2 unreachable</li>' in run_html
    assert '<li class="o-deadline-missed">1 deadline-missed</li>' in run_html
    assert "<code>playbooks/recover.yml</code>" in run_html


def test_credential_preflight(run_html: str) -> None:
    """Each credential's check appears, a rejection marked as a failure."""
    section = run_html[run_html.index('id="preflight"') : run_html.index('id="hosts"')]
    assert "<td>domain-admin</td><td>TB\\orchestrator</td><td>dc1</td>" in section
    assert '<span class="o o-failed">rejected (HTTP 401)' in section


def test_grid_has_a_row_per_host_and_a_column_per_step(run_html: str) -> None:
    """Rows are hosts, columns the steps (after the (connect) pseudo-step)."""
    grid = _grid(run_html)
    assert grid.columns[0] == "host"
    assert grid.columns[1:] == [
        "(connect)",
        "1. Create the new account",
        "2. Delete the old account",
        "3. Enable the local Guest",
        "4. Put the local Guest in Users",
        "5. Wait for the clients",
        "6. Restart the client service",
    ]
    assert list(grid.rows) == list(RUN_HOSTS)
    assert all(len(cells) == 7 for cells in grid.rows.values())


def test_grid_cells_are_colour_coded_outcomes_with_tooltips(run_html: str) -> None:
    """A cell shows the outcome, is classed by it, and its title holds summary and reason."""
    grid = _grid(run_html)
    cap1 = grid.rows["cap1"]
    assert (cap1[3].text, cap1[3].classes) == ("rollback-failed", "o o-rollback-failed")
    assert cap1[3].title == "enable Guest — Guest still enabled"
    assert (cap1[4].text, cap1[4].classes) == ("rolled-back", "o o-rolled-back")
    assert grid.rows["cap2"][3].classes == "o o-unreachable"
    assert grid.rows["cap3"][0].title == "cap3:5985: connection refused"
    assert grid.rows["dc1"][3].classes == "o-none"  # never meant for dc1
    assert grid.rows["site1"][6].text == "not run"
    assert ABORT_REASON in grid.rows["site1"][6].title


def test_grid_marks_hosts_with_problems_for_the_filter(plan_html: str, run_html: str) -> None:
    """Rows with a failure or a step not run are marked; a clean plan marks none."""
    assert _grid(run_html).problem_rows == set(RUN_HOSTS)
    assert _grid(plan_html).problem_rows == set()


def test_timeline_shows_each_window_with_deadline_and_budget(plan_html: str) -> None:
    """A plan's window bar is its deadline, the revert budget hatched at the end (42s of 2h)."""
    timeline = plan_html[plan_html.index('id="timeline"') : plan_html.index('id="steps"')]
    assert "<strong>Window guest-access</strong>" in timeline
    assert '<span class="revert" style="left:99.42%;width:0.58%"' in timeline
    assert "42s of 2h (0.6 %)" in timeline
    window = timeline[timeline.index('class="window"') :]
    assert window.index(STEP_GUEST) < window.index("</ol>")  # its steps sit inside it


def test_run_timeline_shows_close_against_deadline(run_html: str) -> None:
    """A run's window bar marks where it closed, and says the margin to the deadline."""
    timeline = run_html[run_html.index('id="timeline"') : run_html.index('id="steps"')]
    assert re.search(r'<span class="close" style="left:\d+\.\d\d%"', timeline)
    assert re.search(
        r"closed \d{4}-\d\d-\d\d [\d:]+ UTC: 1h5\dm\d*s? before the deadline", timeline
    )
    assert "NO: still open on cap1" in timeline


def test_step_details_list_every_target(run_html: str) -> None:
    """Each step has a section: its hosts, outcomes, what changes and reasons."""
    section = run_html[run_html.index('id="step-3"') : run_html.index('id="step-4"')]
    assert "<h3>3. Enable the local Guest</h3>" in section
    assert '<code class="d-changed">~ enabled: false -&gt; true</code>' in section
    assert "Set-LocalUser: Access denied | code 5\nsecond line (after 3 attempts)" in section
    irreversible = run_html[run_html.index('id="step-2"') : run_html.index('id="step-3"')]
    assert "⚠ irreversible" in irreversible
