"""Running pipelines on worker threads, as runspaces do, outside every lock.

Workers come from a pool: starting a thread per pipeline blocks the request thread until the new
thread first runs, which under a busy GIL costs milliseconds per Command. The pool is large, so a
pipeline that waits (Start-Sleep, Start-Process -Wait) never starves the others.

`on_start(host, names)` hears of every pipeline as it is handed to a worker, before the request
that completed its CREATE_PIPELINE is answered: the commands it asks for, once each, by the
name the client sent. Script text (`add_script`) is not named: its commands are known only once
the backend has parsed it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

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


OnStart = Callable[[str, Sequence[str]], None]  # host, command names


class PipelineRunner:
    """Runs `backend.invoke` for pipelines on a pool of worker threads."""

    def __init__(
        self, backend: LabBackend, max_workers: int = 1024, on_start: OnStart | None = None
    ) -> None:
        self._backend = backend
        self._on_start = on_start
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="lab-pipeline")

    def start(
        self,
        *,
        host: str,
        user: str,
        statements: Sequence[Statement],
        stop: threading.Event,
        done: Callable[[InvocationResult], None],
    ) -> None:
        """Invoke the pipeline on a worker and hand its result to `done`."""
        if self._on_start is not None:
            self._on_start(host, command_names(statements))
        self._pool.submit(self._work, host, user, statements, stop, done)

    def shutdown(self) -> None:
        """Stop taking pipelines; running ones finish on their own (their stop events are set)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _work(
        self,
        host: str,
        user: str,
        statements: Sequence[Statement],
        stop: threading.Event,
        done: Callable[[InvocationResult], None],
    ) -> None:
        try:
            result = self._backend.invoke(host, user, statements, stop)
        except Exception as exc:  # noqa: BLE001 -- a backend bug must fail the pipeline, not hang it
            _log.error("lab.psrp.backend_error", host=host, **describe(exc))
            result = InvocationResult(terminating=_INTERNAL)
        done(result)


def command_names(statements: Sequence[Statement]) -> list[str]:
    """The names of a pipeline's commands, in order, script text left out."""
    return [call.name for st in statements for call in st.commands if not call.is_script]
