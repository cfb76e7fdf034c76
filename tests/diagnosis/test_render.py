"""The diagnosis for people: Markdown for a change ticket and rich text for a terminal."""

from __future__ import annotations

from orchestrator.diagnosis import diagnose
from orchestrator.diagnosis.markdown import render_markdown
from orchestrator.diagnosis.report import Header
from orchestrator.diagnosis.text import render_text

from .sites import broken, failing, healthy, with_site

HEADER = Header("inventory/site.yml", "TB1", 6, "0.1.0")


def test_markdown_says_what_is_wrong_and_what_to_run() -> None:
    """Title, findings, the recommended playbook with its hosts and its plan command, tables."""
    text = render_markdown(diagnose(broken()), HEADER)
    assert text.startswith("# Diagnosis of site TB1: broken: clients need recovery\n")
    assert "## Findings" in text
    assert "### Reinstall with Smsman (Q236052 method 1)" in text
    assert "- **Hosts it touches:** WKS0001, WKS0002, WKS0003, DC1, SITE1" in text
    assert "`orchestrator plan playbooks/smsman-reinstall.yml -i inventory/site.yml`" in text
    assert (
        "| WKS0001, WKS0002, WKS0003 | Failing | #2147942405 (0x80070005, E_ACCESSDENIED) |" in text
    )
    assert "(exit code 6)" in text


def test_markdown_table_cells_cannot_break_the_table() -> None:
    """A `|` or a line break in a value stays inside its cell."""
    odd = with_site(broken(), clients=(failing("WKS|0001"),))
    text = render_markdown(diagnose(odd), HEADER)
    assert "WKS\\|0001" in text
    assert "| WKS|0001 |" not in text


def test_a_healthy_site_says_nothing_to_do() -> None:
    """No finding, "Nothing to do", exit code 0."""
    header = Header("inv.yml", "TB1", 0, "0.1.0")
    text = render_markdown(diagnose(healthy()), header)
    assert "No problem found." in text
    assert "Nothing to do: the site is healthy." in text
    assert "healthy: nothing to recover (exit code 0)" in text


def test_text_groups_clients_that_fail_alike() -> None:
    """One row for clients in the same state; the recommendation and its command come first."""
    text = render_text(diagnose(broken()), HEADER, width=200)
    assert "Diagnosis of site TB1: broken: clients need recovery" in text
    assert text.count("WKS0001, WKS0002, WKS0003") >= 2  # the recommendation, the client row
    assert "review first: orchestrator plan playbooks/smsman-reinstall.yml" in text
    assert text.index("Recommendation") < text.index("Methods") < text.index("Clients")
    assert "\x1b[" not in text  # plain text for files
