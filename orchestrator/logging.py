"""structlog, configured once at the edge: console lines for people, JSON lines for CI.

Every log line passes the redaction processor: Secret objects become `********`, and so does
the value of a secret registered with the Redactor (generated account passwords, credentials)
wherever it stands in text as a whole token. Keys that name scripts or credentials are
dropped outright.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any, Literal, TextIO

import structlog

from orchestrator.secrets import REDACTED, Secret, redact_json_default

LogFormat = Literal["console", "json"]
_DROPPED_KEYS = frozenset({"password", "script", "credential_password", "secret"})
_LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}


class Redactor:
    """The secret values of a run; scrubs them out of any text. Thread-safe."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *secrets: Secret) -> None:
        """Register secrets whose values must never be written."""
        with self._lock:
            self._values.update(s.reveal() for s in secrets if s.reveal())
            self._pattern = _whole_values(self._values)

    def scrub(self, text: str) -> str:
        """The text with every registered secret value that stands as a whole token (not
        inside a longer run of letters and digits) replaced by ********."""
        with self._lock:
            pattern = self._pattern
        return text if pattern is None else pattern.sub(REDACTED, text)

    def clean(self, value: Any) -> Any:
        """A log value with secrets redacted, recursively."""
        if isinstance(value, Secret):
            return REDACTED
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self.clean(v) for k, v in value.items() if k not in _DROPPED_KEYS}
        if isinstance(value, list | tuple):
            return [self.clean(v) for v in value]
        if isinstance(value, BaseException):
            return self.scrub(f"{type(value).__name__}: {value}")
        return value


def _whole_values(values: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the values, longest first, where it stands as a token.

    An edge of a value that is a letter or a digit must not touch another one: the secret
    `y` is not the `y` of `registry`. An edge that is a symbol needs no boundary.
    """
    ordered = sorted(values, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(_token(value) for value in ordered))


def _token(value: str) -> str:
    before = _NOT_AFTER_ALNUM if value[0].isalnum() else ""
    after = _NOT_BEFORE_ALNUM if value[-1].isalnum() else ""
    return f"{before}{re.escape(value)}{after}"


_NOT_AFTER_ALNUM = r"(?<![^\W_])"  # not preceded by a letter or digit (any script)
_NOT_BEFORE_ALNUM = r"(?![^\W_])"  # not followed by one


def redaction_processor(redactor: Redactor) -> structlog.types.Processor:
    """A structlog processor applying the redactor to every field of every event."""

    def process(
        _logger: Any, _method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in [k for k in event if k in _DROPPED_KEYS]:
            del event[key]
        for key, value in list(event.items()):
            event[key] = redactor.clean(value)
        return event

    return process


def configure(
    *,
    log_format: LogFormat,
    verbosity: int = 0,
    redactor: Redactor,
    stream: TextIO | None = None,
) -> None:
    """Configure structlog for this process (called once, by the CLI)."""
    output = stream or sys.stderr
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redaction_processor(redactor),
        _renderer(log_format, output),
    ]
    # pypsrp logs every SOAP body (script text included, base64) at DEBUG: never let it through
    for noisy in ("pypsrp", "spnego", "requests_ntlm", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[max(-1, min(1, verbosity))]),
        logger_factory=structlog.PrintLoggerFactory(file=output),
        cache_logger_on_first_use=False,
    )


def _renderer(log_format: LogFormat, output: TextIO) -> structlog.types.Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(serializer=_dumps)
    # plain tracebacks: rich's pretty ones print local variables, which may hold secrets
    return structlog.dev.ConsoleRenderer(
        colors=output.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


def _dumps(value: Any, **kwargs: Any) -> str:
    kwargs.pop("default", None)  # structlog's fallback would repr() a Secret: ours redacts
    return json.dumps(value, default=_json_default, **kwargs)


def _json_default(value: Any) -> Any:
    try:
        return redact_json_default(value)
    except TypeError:
        return str(value)


def secrets_in(values: Iterable[Any]) -> list[Secret]:
    """The Secrets among some values (for registering them with a Redactor)."""
    return [v for v in values if isinstance(v, Secret)]
