"""Running one pipeline on its own worker thread, as a runspace does, outside every lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import structlog

from orchestrator.lab.contract import ErrorRecord, InvocationResult, LabBackend, Statement
from orchestrator.lab.wsman.logsafe import describe

_log = structlog.get_logger(__name__)

_INTERNAL = ErrorRecord(
    message="The lab failed to run this pipeline.",
    fully_qualified_error_id="LabInternalError",
    category="NotSpecified",
    exception_type="System.Management.Automation.RuntimeException",
    activity="",
)


def start(
    backend: LabBackend,
    *,
    host: str,
    user: str,
    statements: Sequence[Statement],
    stop: threading.Event,
    done: Callable[[InvocationResult], None],
) -> threading.Thread:
    """Invoke the pipeline on a daemon thread and hand its result to `done`."""

    def work() -> None:
        try:
            result = backend.invoke(host, user, statements, stop)
        except Exception as exc:  # noqa: BLE001 -- a backend bug must fail the pipeline, not hang it
            _log.error("lab.psrp.backend_error", host=host, **describe(exc))
            result = InvocationResult(terminating=_INTERNAL)
        done(result)

    thread = threading.Thread(target=work, name=f"lab-pipeline-{host}", daemon=True)
    thread.start()
    return thread
