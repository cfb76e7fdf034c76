"""Structured logs: JSON for CI, console for people, and never a secret."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status
from orchestrator.logging import Redactor, configure
from orchestrator.report.logs import LogObserver
from orchestrator.secrets import Secret

CANARY = "Canary-Pw-7731!"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    redactor = Redactor()
    redactor.add(Secret(CANARY, "canary"))
    configure(log_format="json", verbosity=1, redactor=redactor, stream=stream)
    yield stream
    structlog.reset_defaults()


def test_json_lines_carry_bound_context(json_log: io.StringIO) -> None:
    """Each event is one JSON line with run, host, step and attempt as fields."""
    observer = LogObserver()
    observer(ev.RunStarted("run1", "play", ("h1",), datetime(2026, 1, 1, tzinfo=UTC)))
    observer(ev.HostStepStarted("step one", "h1", 2))
    observer(ev.HostStepFinished("step one", "h1", Status.CHANGED, summary="enable Guest"))
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["run.started", "host.attempt", "host.finished"]
    assert lines[1] | {"run": "run1", "host": "h1", "step": "step one", "attempt": 2} == lines[1]
    assert lines[2]["status"] == "changed"
    assert lines[2]["change"] == "enable Guest"


def test_no_secret_reaches_the_log(json_log: io.StringIO) -> None:
    """A registered secret value is redacted wherever it appears: text, objects, nested, errors."""
    log = structlog.get_logger("t")
    log.info(
        "leak", message=f"password is {CANARY}", secret_obj=Secret(CANARY), nested={"a": [CANARY]}
    )
    log.error("failure", error=RuntimeError(f"bad {CANARY}"), password=CANARY, script="echo x")
    try:
        raise ValueError(CANARY)
    except ValueError:
        log.exception("with traceback")
    text = json_log.getvalue()
    assert CANARY not in text
    assert text.count("********") >= 4
    assert '"script"' not in text
    assert '"password"' not in text


def test_console_format_also_redacts() -> None:
    """The console renderer gets the same redaction and no rich locals in tracebacks."""
    stream = io.StringIO()
    redactor = Redactor()
    redactor.add(Secret(CANARY))
    configure(log_format="console", verbosity=0, redactor=redactor, stream=stream)
    try:
        secret_local = CANARY  # a local variable: rich tracebacks would print it
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger().exception("failed", detail=CANARY)
    structlog.reset_defaults()
    assert secret_local not in stream.getvalue()
    assert "failed" in stream.getvalue()


def test_quiet_hides_info_lines(json_log: io.StringIO) -> None:
    """-q (verbosity -1) keeps warnings and errors only."""
    stream = io.StringIO()
    configure(log_format="json", verbosity=-1, redactor=Redactor(), stream=stream)
    structlog.get_logger().info("chatty")
    structlog.get_logger().warning("important")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == ["important"]
