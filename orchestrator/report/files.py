"""Report files: the format a path asks for, rendering, and atomic writes.

The CLI's `--report PATH [--format ...]` and `--junit PATH` end here. A file is written to a
temporary name beside it and renamed over it, so a reader (or CI) never sees half a report.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.report.document import ReportDocument
from orchestrator.report.html import render_html
from orchestrator.report.json_report import render_json
from orchestrator.report.junit import render_junit
from orchestrator.report.markdown import render_markdown
from orchestrator.report.text import render_text

FORMATS = ("text", "markdown", "html", "json")

_BY_EXTENSION = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".txt": "text",
}
_RENDERERS: dict[str, Callable[[ReportDocument], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}


def format_for(path: Path, explicit: str | None) -> str:
    """The format to write `path` in: `explicit` when given, else the file's extension."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise InputError.single(
                f"unknown report format {explicit!r}",
                field="--format",
                hint=f"one of {', '.join(FORMATS)}",
            )
        return explicit
    found = _BY_EXTENSION.get(path.suffix.lower())
    if found is None:
        known = ", ".join(_BY_EXTENSION)
        raise InputError.single(
            f"cannot tell the report format of {path} from its extension"
            f" {path.suffix or '(none)'}; known extensions: {known}",
            field="--report",
            hint=f"rename the file, or name its format ({', '.join(FORMATS)}) with --report-format",
        )
    return found


def render(doc: ReportDocument, fmt: str) -> str:
    """The document in one of FORMATS."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return renderer(doc)


def write_report(doc: ReportDocument, path: Path, fmt: str | None = None) -> None:
    """Write the report to `path` in `fmt` (or the format its extension names), atomically."""
    write_atomically(path, render(doc, format_for(path, fmt)))


def write_junit(doc: ReportDocument, path: Path) -> None:
    """Write the JUnit XML of the document to `path`, atomically."""
    write_atomically(path, render_junit(doc))


def write_atomically(path: Path, text: str) -> None:
    """Create `path`'s directory, write `text` (UTF-8) beside it, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any file the user creates
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)  # atomic on POSIX and Windows alike (os.replace)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
