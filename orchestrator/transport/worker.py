"""A transport worker process: serves one connector's calls arriving over a pipe.

The coordinator (workers.py) starts it from its fork server and sends an Init (wire.py):
the worker builds its connector with the coordinator's factory (pypsrp is imported then, in
the worker only), then answers Requests with a thread per request in flight, up to the
command's forks, so that no host waits behind another. It logs nothing itself: what the
transport logs is recorded and carried back with the replies, and the coordinator writes it
through its own logging (redaction, format and level as for everything else).

Its life is the pipe's: when the coordinator closes it, or dies (the pipe closes with it),
the worker closes its connections and exits. Ctrl-C and SIGTERM are the coordinator's to
handle (it reverts open windows through the workers), so the worker ignores both.

This module imports little: the fork server's start-up is paid by every command.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import structlog

from orchestrator.transport.wire import Init, LogEvent, Reply, Request, loads, reply_bytes

if TYPE_CHECKING:
    from orchestrator.commands import Connector
    from orchestrator.inventory.model import Host

EXIT = "exit"  # the coordinator's last request: close every connection and exit
QUIET_LIBRARIES = ("pypsrp", "spnego", "requests_ntlm", "urllib3")  # as orchestrator.logging


def serve(conn: Connection) -> None:
    """The worker's main: build the connector from the Init, answer until the pipe closes."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # blocked until here (workers.py), ignored from now
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        init: Init = loads(conn.recv_bytes())
    except (EOFError, OSError):
        return
    recorder = _Recorder()
    recorder.install(init.log_level)
    connector: Connector = init.factory(init.inventory, init.credentials)
    _Server(conn, connector, recorder, init.threads).serve()


class _Recorder:
    """structlog in the worker: events recorded, to travel back with the next reply."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[LogEvent] = []

    def install(self, level: int) -> None:
        for name in QUIET_LIBRARIES:  # pypsrp logs SOAP bodies (script text) at DEBUG
            logging.getLogger(name).setLevel(logging.WARNING)
        structlog.configure(
            processors=[structlog.processors.add_log_level, self._record],
            wrapper_class=structlog.make_filtering_bound_logger(level),
            cache_logger_on_first_use=True,
        )

    def _record(self, _logger: Any, _method: str, event: Any) -> Any:
        with self._lock:
            self._events.append(dict(event))
        raise structlog.DropEvent

    def drain(self) -> tuple[LogEvent, ...]:
        with self._lock:
            events, self._events = self._events, []
        return tuple(events)


class _Server:
    """The request loop: each request answered on a pool thread, replies sent one at a time."""

    def __init__(
        self, conn: Connection, connector: Connector, recorder: _Recorder, threads: int
    ) -> None:
        self._conn = conn
        self._connector = connector
        self._recorder = recorder
        self._send_lock = threading.Lock()
        self._hosts: dict[str, Host] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="serve")

    def serve(self) -> None:
        try:
            while True:
                try:
                    request: Request = loads(self._conn.recv_bytes())
                except (EOFError, OSError):
                    return  # the coordinator died: its end of the pipe closed
                if request.op == EXIT:
                    return
                if request.host is not None:
                    self._hosts[request.name] = request.host
                self._pool.submit(self._answer, request, self._hosts.get(request.name))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._connector.close_all()  # a no-op after the coordinator's close_all

    def _answer(self, request: Request, host: Host | None) -> None:
        try:
            reply = Reply(request.id, value=_OPS[request.op](self._connector, host, request))
        except BaseException as exc:  # noqa: BLE001 -- every failure travels back to the caller
            reply = Reply(request.id, error=exc)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        reply = Reply(reply.id, reply.value, reply.error, self._recorder.drain())
        try:
            data = reply_bytes(reply)
        except Exception as exc:  # noqa: BLE001 -- a value pickle refuses: say so, not hang
            data = reply_bytes(Reply(reply.id, error=_uncarried(reply, exc), logs=reply.logs))
        with self._send_lock, suppress(OSError):  # the coordinator gone: no one waits for it
            self._conn.send_bytes(data)


def _uncarried(reply: Reply, exc: Exception) -> Exception:
    what = type(reply.error).__name__ if reply.error is not None else "its answer"
    return RuntimeError(f"a transport worker could not send back {what} ({type(exc).__name__})")


def _run(connector: Connector, host: Host | None, request: Request) -> Any:
    assert host is not None  # workers.py sends both
    assert request.command is not None
    return connector.transport(host).run(request.command, timeout=request.timeout)


def _close(connector: Connector, host: Host | None, _request: Request) -> None:
    assert host is not None
    connector.transport(host).close()


def _reachable(connector: Connector, host: Host | None, _request: Request) -> None:
    assert host is not None
    connector.reachable(host)


def _authenticate(connector: Connector, host: Host | None, _request: Request) -> None:
    assert host is not None
    connector.authenticate(host)


def _close_all(connector: Connector, _host: Host | None, _request: Request) -> None:
    connector.close_all()


_OPS: dict[str, Callable[[Connector, Host | None, Request], Any]] = {
    "run": _run,
    "close": _close,
    "reachable": _reachable,
    "authenticate": _authenticate,
    "close_all": _close_all,
}
