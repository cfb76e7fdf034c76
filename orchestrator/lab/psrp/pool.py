"""psrpcore's ServerRunspacePool, with CREATE_PIPELINE decoding memoised.

psrpcore rebuilds a full object graph for every CREATE_PIPELINE, which is most of the lab's
per-request CPU. pypsrp serializes the same pipeline to the same bytes every time (RefIds restart
at 0 per message), and an orchestrator runs the same few steps on many hosts, so decoded
statements are kept by message bytes (LRU, 1024 entries, copied out so no pipeline shares a
list). A message with a SecureString (<SS>) is never cached: its clear text must not outlive its
pipeline.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import OrderedDict
from typing import Any

from psrpcore import PowerShell, PSRPEvent, ServerRunspacePool
from psrpcore._payload import PSRPMessage
from psrpcore.types import PSRPMessageType

from orchestrator.lab.contract import Statement
from orchestrator.lab.psrp import decode

_LIMIT = 1024
_LOCK = threading.Lock()
_CACHE: OrderedDict[bytes, tuple[Statement, ...]] = OrderedDict()


class PipelineCreated:
    """A CREATE_PIPELINE, decoded into contract statements."""

    def __init__(self, pipeline_id: uuid.UUID, statements: tuple[Statement, ...]) -> None:
        self.pipeline_id = pipeline_id
        self.statements = statements


class LabRunspacePool(ServerRunspacePool):
    """A ServerRunspacePool whose CREATE_PIPELINE events carry ready-made statements."""

    def _process_message(self, message: PSRPMessage) -> PSRPEvent[Any, Any] | PipelineCreated:  # type: ignore[override]
        if message.message_type != PSRPMessageType.CreatePipeline:
            return super()._process_message(message)
        pipeline_id = message.pipeline_id
        assert pipeline_id is not None
        key = message.data
        statements = _cached(key)
        if statements is None:
            super()._process_message(message)
            metadata = self.pipeline_table[pipeline_id].metadata
            assert isinstance(metadata, PowerShell)
            statements = decode.statements(metadata)
            if b"<SS" not in key:  # <SS N="V">: a SecureString argument
                _remember(key, statements)
        return PipelineCreated(pipeline_id, statements)


def _cached(key: bytes) -> tuple[Statement, ...] | None:
    with _LOCK:
        found = _CACHE.get(key)
        if found is None:
            return None
        _CACHE.move_to_end(key)
    return copy.deepcopy(found)  # parameter lists are mutable; each pipeline gets its own


def _remember(key: bytes, statements: tuple[Statement, ...]) -> None:
    with _LOCK:
        _CACHE[key] = copy.deepcopy(statements)
        while len(_CACHE) > _LIMIT:
            _CACHE.popitem(last=False)
