"""The Markdown report: a change ticket's view of a run or a plan."""

from __future__ import annotations

import re

import pytest

from orchestrator.engine import events as ev
from orchestrator.report.document import ReportBuilder
from orchestrator.report.markdown import render_markdown
from tests.report.sample_documents import (
    ABORT_REASON,
    RUN_HOSTS,
    UNKNOWN_REASON,
    plan_document,
    run_document,
)


@pytest.fixture(scope="module")
def run_md() -> str:
    return render_markdown(run_document())


@pytest.fixture(scope="module")
def plan_md() -> str:
    return render_markdown(plan_document())


def _section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of any level."""
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    end = re.search(r"^#{1,3} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _row(section: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with `first_cell` (escaped pipes kept)."""
    for line in section.splitlines():
        if line.startswith(f"| {first_cell} |"):
            return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    raise AssertionError(f"no row for {first_cell!r} in:\n{section}")


def test_header_names_playbook_inventory_run_and_counts(run_md: str) -> None:
    """The header says run or plan, the files, the run id, the verdict and every count."""
    assert run_md.startswith("# Run of Recover TB1\n")
    assert "- **Playbook:** `playbooks/recover.yml`" in run_md
    assert "- **Inventory:** `inventory/site-tb1.yml`" in run_md
    assert "- **Run id:** `run-20260301-1`" in run_md
    assert (
        "- **Result:** failed, rollback incomplete — still open on cap1: its failsafe fires at"
        " the deadline; finish with `orchestrator rollback run-20260301-1` (exit 3)"
    ) in run_md
    assert (
        "- **Summary:** 1 ok, 1 changed, 2 failed, 2 unreachable, 1 rolled-back,"
        " 1 rollback-failed, 1 deadline-missed (8 hosts, 6 steps)"
    ) in run_md
    assert re.search(r"- \*\*Started:\*\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", run_md)


def test_plan_header_and_counts_start_with_will_change(plan_md: str) -> None:
    """A plan is titled as one and counts its predictions, will-change first."""
    assert plan_md.startswith("# Plan of Recover TB1\n")
    assert "- **Result:** 5 changes pending, 1 unknown (exit 0)" in plan_md
    assert "- **Summary:** 5 will-change, 2 no-change, 1 unknown, 1 skipped" in plan_md


def test_every_table_row_has_as_many_cells_as_its_header(run_md: str, plan_md: str) -> None:
    """Pipes and line breaks in values are escaped: no row gains or loses a column."""
    for text in (run_md, plan_md):
        widths: list[int] = []
        for line in text.splitlines():
            if not line.startswith("|"):
                widths = []
                continue
            widths.append(len(re.findall(r"(?<!\\)\|", line)))
            assert widths[-1] == widths[0], line


def test_pipes_and_newlines_in_cells_are_escaped(run_md: str) -> None:
    """`|` becomes `\\|` and a line break `<br>`, in summaries and errors alike."""
    create = _section(run_md, "### 1. Create the new account")
    assert _row(create, "dc1")[2] == "create SMSClient2_TB1 \\| enabled"
    guest = _section(run_md, "### 3. Enable the local Guest")
    assert _row(guest, "cap4")[4] == (
        "Set-LocalUser: Access denied \\| code 5<br>second line (after 3 attempts)"
    )


def test_credential_preflight_table(run_md: str) -> None:
    """Each credential tried: who, where, and whether it was accepted."""
    preflight = _section(run_md, "## Credential preflight")
    assert _row(preflight, "domain-admin") == [
        "domain-admin",
        "TB\\orchestrator",
        "dc1",
        "✔ authenticated",
    ]
    assert _row(preflight, "cap-local")[2:] == [
        "cap5",
        "✘ **rejected (HTTP 401): one attempt, no other host contacted**",
    ]


def test_run_window_shows_what_happened_to_it(run_md: str) -> None:
    """A run's window: deadline, failsafe, budget with its reason, close, margin, completeness."""
    window = _section(run_md, "### Window guest-access")
    assert _row(window, "deadline after")[1] == "2h"
    assert _row(window, "failsafe")[1].startswith("target: a scheduled task on each host")
    assert _row(window, "revert budget")[1] == (
        "42s of 2h (0.6 %): 1 wave of 3 hosts: 2 undo commands at 3.5s x1.5,"
        " plus a 30s connect timeout"
    )
    assert _row(window, "closing reason")[1] == "a step failed inside the window"
    assert _row(window, "margin to deadline")[1].endswith("before the deadline")
    assert _row(window, "complete")[1].startswith("NO: still open on cap1;")


def test_plan_window_shows_the_budget_but_no_run_facts(plan_md: str) -> None:
    """A plan's window has its budget against the deadline, and nothing a run would record."""
    window = _section(plan_md, "### Window guest-access")
    assert _row(window, "revert budget")[1].startswith("42s of 2h (0.6 %)")
    assert "| opened |" not in window
    assert "| margin to deadline |" not in window


def test_irreversible_steps_are_flagged(run_md: str) -> None:
    """Irreversible steps are listed up front and flagged again at the step itself."""
    listed = _section(run_md, "## Irreversible steps")
    assert "- ⚠ irreversible: **Delete the old account** (`ad_user` on" in listed
    assert "Create the new account" not in listed
    assert "**⚠ irreversible**" in _section(run_md, "### 2. Delete the old account")
    assert "irreversible" not in _section(run_md, "### 1. Create the new account")


def test_step_rows_carry_outcome_change_and_reason(run_md: str) -> None:
    """Each host of a step: its outcome, what it changed (only that), and why."""
    create = _section(run_md, "### 1. Create the new account")
    assert _row(create, "dc1")[1] == "changed"
    assert _row(create, "dc1")[3] == (
        "`+ enabled: true`<br>`~ exists: false -> true`<br>`+ password: ********`"
    )
    guest = _section(run_md, "### 3. Enable the local Guest")
    assert _row(guest, "cap1")[1:] == [
        "**rollback-failed**",
        "enable Guest",
        "`~ enabled: false -> true`",
        "Guest still enabled",
    ]
    assert _row(guest, "cap2")[1] == "**unreachable**"
    users = _section(run_md, "### 4. Put the local Guest in Users")
    assert _row(users, "cap1")[1] == "rolled-back"
    wait = _section(run_md, "### 5. Wait for the clients")
    assert _row(wait, "site1")[1] == "**deadline-missed**"


def test_unreached_steps_list_every_host_as_not_run(run_md: str) -> None:
    """After an abort, a step never reached shows each host as not run, with the reason."""
    restart = _section(run_md, "### 6. Restart the client service")
    for host in RUN_HOSTS:
        row = _row(restart, host)
        assert row[1] == "**not run**"
        assert ABORT_REASON in row[4]


def test_connect_failures_have_their_own_section(run_md: str) -> None:
    """Hosts lost before the first step appear under (connect), with the error."""
    connect = _section(run_md, "### (connect)")
    assert _row(connect, "cap3")[1:] == ["**unreachable**", "", "", "cap3:5985: connection refused"]
    assert _row(connect, "cap5")[1] == "**failed**"


def test_plan_rows_carry_unknown_reasons_and_skips(plan_md: str) -> None:
    """A plan's unknown says why; a skip says why."""
    wait = _section(plan_md, "### 5. Wait for the clients")
    assert _row(wait, "site1")[1] == "unknown"
    assert _row(wait, "site1")[4] == UNKNOWN_REASON.replace("|", "\\|")
    users = _section(plan_md, "### 4. Put the local Guest in Users")
    assert _row(users, "cap2")[1] == "skipped"
    assert _row(users, "cap2")[4] == "when: is false"


def test_backslashes_survive_where_markdown_would_eat_them() -> None:
    """DOMAIN\\user stays as written; a backslash before punctuation is doubled to survive."""
    doc = plan_document()
    builder = ReportBuilder(doc)
    builder(ev.CredentialAccepted("svc", "TB\\_svc", "dc1"))
    preflight = _section(render_markdown(doc), "## Credential preflight")
    assert _row(preflight, "domain-admin")[1] == "TB\\orchestrator"
    assert _row(preflight, "svc")[1] == "TB\\\\_svc"
