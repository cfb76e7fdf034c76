"""The HTML report in a real browser: headless Chromium opens it with no console message.

Chromium logs every console message and uncaught error of the page to stderr as a `CONSOLE`
line (`--enable-logging=stderr`); the report logs nothing, so any such line fails the test.
A page with a deliberate error proves first that this Chromium still reports them that way.
Without a Chromium binary the tests skip, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.report.html import render_html
from tests.report.sample_documents import RUN_HOSTS, plan_document, run_document

BROWSER_TIMEOUT = 30  # seconds; a page this size loads in about one


@dataclass(frozen=True)
class PageLoad:
    """What Chromium made of a page: its DOM after scripts ran, and its console lines."""

    dom: str
    console: list[str]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail("CI must run the browser test: install chromium (.ci/run does, with apt-get)")
    pytest.skip("no chromium binary on PATH (apt-get install chromium); CI runs this test")


def _load(page: Path, profile: Path) -> PageLoad:
    completed = subprocess.run(  # a fixed browser command on a file we wrote
        [
            _chromium(),
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
    return PageLoad(completed.stdout, console)


def test_the_console_check_sees_errors(tmp_path: Path) -> None:
    """A page that logs an error and throws is caught: the check below can fail."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>x</p>"
        "<script>console.error('logged-error'); notDefined();</script></body></html>",
        encoding="utf-8",
    )
    load = _load(page, tmp_path / "profile")
    assert any("logged-error" in line for line in load.console), load.console
    assert any("Uncaught ReferenceError" in line for line in load.console), load.console


@pytest.mark.parametrize("make", [run_document, plan_document], ids=["run", "plan"])
def test_report_opens_without_console_messages(tmp_path: Path, make: object) -> None:
    """The report loads, its script runs to the end, the grid is there, the console is silent."""
    assert callable(make)
    page = tmp_path / "report.html"
    page.write_text(render_html(make()), encoding="utf-8")
    load = _load(page, tmp_path / "profile")
    assert load.console == []
    assert 'data-ready="1"' in load.dom  # set by the report's script as its last act
    assert '<table class="grid" id="grid">' in load.dom
    assert 'id="timeline"' in load.dom
    if make is run_document:
        for host in RUN_HOSTS:
            assert f'<th scope="row">{host}</th>' in load.dom
