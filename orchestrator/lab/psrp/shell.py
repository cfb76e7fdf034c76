"""A PowerShell shell: one psrpcore ServerRunspacePool behind WS-Management ([MS-PSRP] 3.2.5.3).

psrpcore is sans-IO and not thread-safe, so each shell guards its pool with its own Condition.
Everything psrpcore queues is drained at once into per-target outboxes (the pool, and each
pipeline by CommandId), because a Receive asks for one target and psrpcore only hands out the
head of one shared queue. Pipelines run on worker threads; a Receive long-polls the Condition.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from psrpcore import (
    GetAvailableRunspacesEvent,
    PSRPCoreError,
    PSRPEvent,
    PSRPPayload,
    ResetRunspaceStateEvent,
    ServerHostRequestor,
    ServerPipeline,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
    StreamType,
)
from psrpcore.types import PSInvocationState, PSRPMessageType, PSVersion

from orchestrator.lab.contract import InvocationResult, Statement
from orchestrator.lab.psrp import encode
from orchestrator.lab.psrp.pool import LabRunspacePool, PipelineCreated
from orchestrator.lab.psrp.run import PipelineRunner
from orchestrator.lab.wsman import errors, ns
from orchestrator.lab.wsman.shells import Received, normalise_id
from orchestrator.lab.wsman.soap import WSManRequest

_FRAGMENT = 32 * 1024  # largest payload unit drained from psrpcore; a Receive sends whole units
_STREAM = ns.q(ns.SHELL, "Stream")
_CREATION_XML = ns.q(ns.POWERSHELL, "creationXml")
_ARGUMENTS = ns.q(ns.SHELL, "Arguments")


@dataclass
class _Pipe:
    pipeline: ServerPipeline
    outbox: deque[bytes] = field(default_factory=deque)
    stop: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    discard: bool = False  # terminated while running: forget it once it ends


def _private_data() -> dict[str, object]:
    """What Windows PowerShell 5.1 tells a client about itself in APPLICATION_PRIVATE_DATA."""
    table = {
        "PSVersion": PSVersion("5.1.17763.1"),
        "PSEdition": "Desktop",
        "CLRVersion": PSVersion("4.0.30319.42000"),
        "BuildVersion": PSVersion("10.0.17763.1"),
        "WSManStackVersion": PSVersion("3.0"),
        "PSRemotingProtocolVersion": PSVersion("2.3"),
        "SerializationVersion": PSVersion("1.1.0.1"),
    }
    return {"PSVersionTable": table}


class PowerShellShell:
    """One Runspace Pool on one host, owned by one user."""

    input_streams = "stdin pr"
    output_streams = "stdout"

    def __init__(
        self, runner: PipelineRunner, host: str, owner: str, request: WSManRequest, shell_id: str
    ) -> None:
        self.shell_id = shell_id
        self.host = host
        self.owner = owner
        self.resource_uri = request.resource_uri
        self.last_used = time.monotonic()
        self._runner = runner
        self._cond = threading.Condition()
        self._pool = LabRunspacePool(application_private_data=_private_data())
        # Fragments must fit the client's envelope ([MS-PSRP] 3.1.5.1.1): size them by Create's.
        self._fragment = min(_FRAGMENT, request.payload_budget)
        self._pool_outbox: deque[bytes] = deque()
        self._pipes: dict[str, _Pipe] = {}
        self._closed = False
        self._feed(_creation_data(request.body), None)

    # -- WS-Management operations -------------------------------------------------------------

    def command(self, request: WSManRequest, command_id: str) -> None:
        """Create the pipeline for CommandId and feed it the first CREATE_PIPELINE fragment(s)."""
        data = b"".join(_b64(e.text) for e in _iter(request.body, _ARGUMENTS))
        with self._cond:
            self._check_open()
            pipeline = ServerPipeline(self._pool, uuid.UUID(command_id))
            self._pipes[command_id] = _Pipe(pipeline)
        self._feed(data, command_id)

    def send(self, request: WSManRequest) -> None:
        """Feed stdin/pr fragments: the rest of a CREATE_PIPELINE, or PUBLIC_KEY."""
        for element in _iter(request.body, _STREAM):
            command_id = element.get("CommandId")
            self._feed(_b64(element.text), normalise_id(command_id) if command_id else None)

    def receive(self, command_id: str | None, timeout: float, budget: int) -> Received:
        """Long-poll for the target's fragments; TimedOut fault after `timeout` seconds."""
        with self._cond:
            outbox = self._outbox(command_id)
            ready = self._cond.wait_for(lambda: self._closed or bool(outbox), timeout)
            self._check_open()
            if not ready:
                raise errors.timed_out()
            chunks = _take(outbox, budget)
            pipe = self._pipes.get(command_id or "")
            ended = pipe is not None and pipe.finished and not outbox
        return Received(
            [("stdout", chunk) for chunk in chunks],
            command_id,
            ended=ended,
            requeue=lambda: self._requeue(command_id, chunks),
        )

    def signal(self, command_id: str, code: str) -> None:
        """ctrl_c stops the pipeline; terminate also forgets it ([MS-PSRP] 3.1.5.3.8)."""
        terminate = code.lower().endswith("/terminate")
        with self._cond:
            pipe = self._pipes.get(command_id)
            if pipe is None:
                raise errors.command_not_found()
            pipe.stop.set()
            if terminate:
                pipe.discard = True
                if pipe.finished:
                    self._forget(command_id)

    def close(self) -> None:
        """Delete: stop every pipeline and wake every waiting Receive."""
        with self._cond:
            self._closed = True
            for pipe in self._pipes.values():
                pipe.stop.set()
            self._cond.notify_all()

    # -- psrpcore plumbing (callers hold no lock unless said) ---------------------------------

    def _feed(self, data: bytes, command_id: str | None) -> None:
        pipeline_id = uuid.UUID(command_id) if command_id else None
        with self._cond:
            self._check_open()
            try:
                self._pool.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
                self._pump()
            except (PSRPCoreError, ValueError, KeyError) as exc:
                raise errors.invalid_body() from exc

    def _pump(self) -> None:
        """Process every complete message (lock held), then drain what psrpcore queued."""
        while (event := self._pool.next_event()) is not None:
            self._on_event(event)
        self._drain()

    def _on_event(self, event: PSRPEvent[Any, Any] | PipelineCreated) -> None:
        if isinstance(event, PipelineCreated):
            self._start(str(event.pipeline_id).upper(), event.statements)
        elif isinstance(
            event, (SetMaxRunspacesEvent, SetMinRunspacesEvent, ResetRunspaceStateEvent)
        ):
            self._pool.runspace_availability_response(event.ci, True)
        elif isinstance(event, GetAvailableRunspacesEvent):
            self._pool.runspace_availability_response(event.ci, 1)

    def _start(self, command_id: str, statements: Sequence[Statement]) -> None:
        pipe = self._pipes[command_id]
        # Windows sends no PIPELINE_STATE Running (jborean93/pypsrp's recorded real-Windows
        # traffic, tests/tests_pypsrp/responses), so set it without a message.
        pipe.pipeline.state = PSInvocationState.Running

        def done(result: InvocationResult) -> None:
            self._finish(command_id, result)

        self._runner.start(
            host=self.host,
            user=self.owner,
            statements=statements,
            stop=pipe.stop,
            done=done,
        )

    def _finish(self, command_id: str, result: InvocationResult) -> None:
        """Worker thread: encode the result into PSRP messages, under the shell's lock."""
        with self._cond:
            pipe = self._pipes.get(command_id)
            if pipe is None or self._closed:
                return
            _publish(pipe.pipeline, result)
            pipe.finished = True
            self._drain()
            if pipe.discard:
                self._forget(command_id)

    def _drain(self) -> None:
        while (payload := self._pool.data_to_send(self._fragment)) is not None:
            target = str(payload.pipeline_id).upper() if payload.pipeline_id else None
            pipe = self._pipes.get(target or "")
            if target is None:
                self._pool_outbox.append(payload.data)
            elif pipe is not None:
                pipe.outbox.append(payload.data)
        self._cond.notify_all()

    def _outbox(self, command_id: str | None) -> deque[bytes]:
        if command_id is None:
            return self._pool_outbox
        pipe = self._pipes.get(command_id)
        if pipe is None:
            raise errors.command_not_found()
        return pipe.outbox

    def _requeue(self, command_id: str | None, chunks: list[bytes]) -> None:
        """The reply never reached the client: put its fragments back for the retried Receive."""
        with self._cond:
            pipe = self._pipes.get(command_id or "")
            outbox = self._pool_outbox if command_id is None else (pipe.outbox if pipe else None)
            if outbox is not None:
                outbox.extendleft(reversed(chunks))
                self._cond.notify_all()

    def _forget(self, command_id: str) -> None:
        pipe = self._pipes.pop(command_id)
        pipe.pipeline.close()

    def _check_open(self) -> None:
        if self._closed:
            raise errors.shell_not_found()


def _publish(pipeline: ServerPipeline, result: InvocationResult) -> None:
    """Write outputs, records and the final state, in the order PowerShell emits them."""
    for value in result.outputs:
        pipeline.write_output(encode.ps_value(value))
    for text in result.warnings:
        pipeline.write_warning(text)
    for text in result.verbose:
        pipeline.write_verbose(text)
    for record in result.errors:
        error = encode.error_record(record, write_error_stream=True)
        pipeline.prepare_message(error, message_type=PSRPMessageType.ErrorRecord)
    if result.exit_code is not None and not result.stopped:
        # `exit N` in script text: PowerShell calls the host's SetShouldExit(N), which a remote
        # runspace forwards to the client's host (a void PIPELINE_HOST_CALL: no answer awaited).
        ServerHostRequestor(pipeline).set_should_exit(result.exit_code)
    if result.stopped:
        pipeline.stop()
    elif result.terminating is not None:
        state = encode.failed_state(result.terminating)
        pipeline.prepare_message(state, message_type=PSRPMessageType.PipelineState)
        pipeline.state = PSInvocationState.Failed
    else:
        pipeline.complete()


def _take(outbox: deque[bytes], budget: int) -> list[bytes]:
    """Whole payload units up to the envelope budget, at least one."""
    chunks = [outbox.popleft()]
    size = len(chunks[0])
    while outbox and size + len(outbox[0]) <= budget:
        size += len(outbox[0])
        chunks.append(outbox.popleft())
    return chunks


def _creation_data(body: Element | None) -> bytes:
    element = body.find(_CREATION_XML) if body is not None else None
    if element is None:
        raise errors.invalid_body()
    return _b64(element.text)


def _iter(body: Element | None, tag: str) -> list[Element]:
    if body is None:
        raise errors.invalid_body()
    return list(body.iter(tag))


def _b64(text: str | None) -> bytes:
    try:
        return base64.b64decode(text or "", validate=True)
    except ValueError as exc:
        raise errors.invalid_body() from exc
