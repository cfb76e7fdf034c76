"""Describing an exception for a log line without leaking what it holds."""

from __future__ import annotations

import traceback


def describe(exc: BaseException) -> dict[str, str]:
    """An exception's type and where it was raised: never its message or its frames' locals,
    which may hold passwords (structlog's default renderer prints locals)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return {"error": type(exc).__name__, "where": where}
