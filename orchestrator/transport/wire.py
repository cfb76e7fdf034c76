"""What crosses the pipe between the coordinator and a transport worker, and how it is pickled.

    coordinator -> worker   Init once (the connector factory, inventory, credentials), then
                            Requests (an id, an operation, the host, the command)
    worker -> coordinator   Replies (the request's id, a value or an exception, the log
                            events the worker recorded since its last reply)

The pipe is the only way a secret reaches a worker: never argv, environment or a file. Our
pickler carries what the standard one refuses or mangles:
- a Secret (which refuses pickling, so it never lands in a file by accident) as its value;
- a read-only mapping (Host.vars, Inventory.groups) as a new read-only mapping;
- any exception by its type, args and attributes, without calling its __init__ (ours take
  keyword arguments the standard reduction loses) and without its __cause__ or traceback
  (pypsrp's exceptions and frames stay in the worker): an AuthError arrives as an AuthError
  with its `where`, `may_have_run` and `connected`, so retries and the breaker decide alike.
"""

from __future__ import annotations

import io
import pickle
import struct
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from orchestrator.secrets import Secret, UnresolvedSecret

if TYPE_CHECKING:
    from orchestrator.commands import Command
    from orchestrator.inventory.model import Host, Inventory

LogEvent = dict[str, Any]
"""A structlog event dict as the worker recorded it (its `level` included)."""


@dataclass(frozen=True)
class Init:
    """The worker's first message: how to build its connector and how much to log."""

    factory: Any  # a module-level ConnectorFactory: pickled by reference
    inventory: Inventory
    credentials: dict[str, tuple[str, Secret]]
    threads: int  # requests served at once (the command's forks)
    log_level: int  # events below it are not even recorded


@dataclass(frozen=True)
class Request:
    """One call on the worker's connector, for one host (`host` is sent with the first)."""

    id: int
    op: str  # run, reachable, authenticate, close, close_all
    name: str = ""
    host: Host | None = None
    command: Command | None = None
    timeout: timedelta | None = None


@dataclass(frozen=True)
class Reply:
    """The answer to one request: its value, or the exception it raised."""

    id: int
    value: Any = None
    error: BaseException | None = None
    logs: tuple[LogEvent, ...] = field(default=())


_REPLY_ID = struct.Struct("<q")  # a reply's id before its pickle: readable even if the rest is not


def reply_bytes(reply: Reply) -> bytes:
    """The reply for the pipe: its id, then the pickled reply."""
    return _REPLY_ID.pack(reply.id) + dumps(reply)


def read_reply(data: bytes) -> Reply:
    """A reply from the pipe; one that cannot be unpickled here still answers its caller."""
    (reply_id,) = _REPLY_ID.unpack_from(data)
    try:
        reply: Reply = loads(memoryview(data)[_REPLY_ID.size :])
    except Exception as exc:  # noqa: BLE001 -- whatever it is, the caller must not wait forever
        error = RuntimeError(
            f"a transport worker's answer could not be read ({type(exc).__name__})"
        )
        return Reply(reply_id, error=error)
    return reply


def dumps(message: object) -> bytes:
    """The message, pickled for the pipe (secrets included: see the module's docstring)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(message)
    return buffer.getvalue()


def loads(data: bytes | memoryview) -> Any:
    """A message read from the pipe."""
    return pickle.loads(data)  # noqa: S301 -- our own child's (or parent's) pipe, no one else's


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, UnresolvedSecret):
            return UnresolvedSecret, (obj.label,)
        if isinstance(obj, Secret):
            return Secret, (obj.reveal(), obj.label)
        if isinstance(obj, MappingProxyType):
            return read_only, (dict(obj),)
        if isinstance(obj, BaseException):
            return rebuilt_exception, (type(obj), obj.args, dict(vars(obj)))
        return NotImplemented


def read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """A read-only view again (the type itself cannot be pickled by reference)."""
    return MappingProxyType(mapping)


def rebuilt_exception(
    kind: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]
) -> BaseException:
    """The exception again, with its args and attributes, without running its __init__."""
    error = kind.__new__(kind, *args)
    error.args = args
    vars(error).update(state)
    return error
