"""Report files: formats by extension, atomic writes, and no secret in any format."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from orchestrator.errors import InputError
from orchestrator.report.document import ReportDocument
from orchestrator.report.files import FORMATS, format_for, render, write_junit, write_report
from orchestrator.report.junit import render_junit
from orchestrator.secrets import REDACTED
from tests.report.sample_documents import (
    ABORT_REASON,
    CANARY,
    SCRIPT,
    UNKNOWN_REASON,
    plan_document,
    run_document,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("change.md", "markdown"),
        ("change.markdown", "markdown"),
        ("report.HTML", "html"),
        ("report.htm", "html"),
        ("report.json", "json"),
        ("report.txt", "text"),
    ],
)
def test_format_follows_the_extension(name: str, expected: str) -> None:
    """The extension picks the format, whatever its case."""
    assert format_for(Path("out") / name, None) == expected


def test_explicit_format_wins_over_the_extension() -> None:
    """--format decides, even against the extension or without one."""
    assert format_for(Path("report.json"), "markdown") == "markdown"
    assert format_for(Path("report"), "html") == "html"


def test_unknown_extension_names_the_flag_and_the_known_ones() -> None:
    """An extension we cannot read is an input error naming --report and what is known."""
    with pytest.raises(InputError) as info:
        format_for(Path("report.pdf"), None)
    (problem,) = info.value.problems
    assert problem.field == "--report"
    assert "report.pdf" in problem.message
    for extension in (".md", ".html", ".json", ".txt"):
        assert extension in problem.message
    assert "--report-format" in problem.hint


def test_unknown_explicit_format_is_an_input_error() -> None:
    """--format with a name we do not know is refused, listing the formats."""
    with pytest.raises(InputError) as info:
        format_for(Path("report.md"), "pdf")
    assert info.value.problems[0].field == "--format"
    assert "markdown" in info.value.problems[0].hint


def test_write_report_creates_directories_and_writes_the_rendering(tmp_path: Path) -> None:
    """The file holds exactly the rendering; missing parent directories are created."""
    doc = run_document()
    for fmt, name in (("markdown", "a.md"), ("html", "a.html"), ("json", "a.json")):
        path = tmp_path / "reports" / "deep" / name
        write_report(doc, path)
        assert path.read_text(encoding="utf-8") == render(doc, fmt)
    forced = tmp_path / "reports" / "plain.log"
    write_report(doc, forced, "text")
    assert forced.read_text(encoding="utf-8").startswith("Run of Recover TB1\n=")


def test_write_junit_writes_parseable_xml(tmp_path: Path) -> None:
    """The JUnit file is the rendering, and parses."""
    path = tmp_path / "ci" / "junit.xml"
    write_junit(plan_document(), path)
    text = path.read_text(encoding="utf-8")
    assert text == render_junit(plan_document())
    assert ET.fromstring(text).tag == "testsuites"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes are atomic: when writing fails, the previous report stays whole."""
    path = tmp_path / "report.json"
    path.write_text("previous", encoding="utf-8")

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_report(run_document(), path)
    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_write_replaces_the_old_file_whole(tmp_path: Path) -> None:
    """A second write replaces the first, and no temporary file is left beside it."""
    path = tmp_path / "report.json"
    write_report(run_document(), path)
    write_report(plan_document(), path)
    assert json.loads(path.read_text(encoding="utf-8"))["kind"] == "plan"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_render_refuses_an_unknown_format() -> None:
    """render() is called with a checked format; anything else is a bug, said loudly."""
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(run_document(), "pdf")


def test_text_format_is_plain_and_complete() -> None:
    """Plain text: no markup, the same facts as the Markdown (escaping not needed)."""
    text = render(run_document(), "text")
    assert "**" not in text.replace(REDACTED, "")
    assert "<br>" not in text
    assert "  cap4  failed           Set-LocalUser: Access denied | code 5\n" in text
    assert "second line (after 3 attempts)" in text
    assert SCRIPT in text  # plain text shows it as it is: nothing will run it
    assert f"not run          the run stopped early ({ABORT_REASON})" in text
    assert "margin to deadline: 1h5" in text
    assert "⚠ irreversible: Delete the old account" in text
    plan = render(plan_document(), "text")
    assert plan.startswith("Plan of Recover TB1\n")
    assert UNKNOWN_REASON in plan


@pytest.mark.parametrize("fmt", [*FORMATS, "junit"])
@pytest.mark.parametrize("make", [run_document, plan_document], ids=["run", "plan"])
def test_no_format_shows_a_secret(fmt: str, make: object) -> None:
    """A Secret canary in a before/after value never appears; its redacted form does."""
    assert callable(make)
    doc: ReportDocument = make()
    text = render_junit(doc) if fmt == "junit" else render(doc, fmt)
    assert CANARY not in text
    assert REDACTED in text
