"""A Connector whose transports run in worker processes: the WinRM client stack on every core.

HTTP, XML, NTLM and PSRP serialisation are ~80 % of a run's time and hold the GIL, so threads
of one process use one core (issue 13). The fan-out (engine/fanout.py) stays in this process,
with the journal, the lock, the breaker and the events; only the connector's calls cross to
the workers (worker.py), as pickled messages with request ids over one pipe each (wire.py):

    connector = WorkerConnector(psrp_connector, inventory, credentials, workers=4, threads=20)
    connector.transport(host).run(command)   # runs in the host's worker; its errors re-raised
    connector.close_all()                    # every worker closes its pools, then exits

- a host is pinned to one worker from its first call to the end of the command (round
  robin), so its RunspacePool is opened once and reused, as in one process;
- each worker serves `threads` calls at once: with threads = forks, no host ever waits for
  another, whichever worker they share;
- a worker that dies fails the calls it had with a TransportError (not transient: never
  resent): a `run` with `may_have_run=True` (the command may have reached the host),
  anything else as not run; its hosts' later calls fail at once, as not run (a worker is not
  restarted: its hosts' connections died with it);
- workers start with SIGINT and SIGTERM blocked, then ignore them (Ctrl-C is this process's
  to handle, and reverting a window still needs them); they exit when told (close_all, or a
  finalizer when this process exits) or when their pipe closes (this process died).
"""

from __future__ import annotations

import itertools
import multiprocessing
import signal
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.util import Finalize
from typing import TYPE_CHECKING, Any

import structlog

from orchestrator.commands import Command, CommandResult, Connector
from orchestrator.errors import TransportError, Where
from orchestrator.inventory.model import Host, Inventory
from orchestrator.secrets import Secret
from orchestrator.transport.wire import Init, LogEvent, Reply, Request, dumps, read_reply
from orchestrator.transport.worker import EXIT, serve

if TYPE_CHECKING:
    from collections.abc import Callable

# The coordinator has threads: it is never forked. A fork server (a fresh interpreter) imports
# the worker's modules once, then forks every worker from itself: measured on 2 cores, the
# first answers of 2 workers came after 0.68 s (spawn: 0.75-0.83 s, each worker importing
# pypsrp and pydantic again) and of 4 after 0.82 s (spawn: 1.5 s); forked workers also exit
# in ~10 ms (spawn: 0.2-0.3 s of interpreter shutdown).
_CONTEXT = multiprocessing.get_context("forkserver")
EXIT_WAIT = 10.0  # seconds a worker gets to exit after its pipe closed, before it is killed
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class WorkerConnector:
    """The Connector protocol over `workers` processes, each running `factory`'s connector."""

    def __init__(
        self,
        factory: Callable[[Inventory, Mapping[str, tuple[str, Secret]]], Connector],
        inventory: Inventory,
        credentials: Mapping[str, tuple[str, Secret]],
        *,
        workers: int,
        threads: int,
        preload: tuple[str, ...] = (),
    ) -> None:
        """`factory` must be a module-level function (it is pickled by reference); `preload`:
        what else the fork server should import once for all workers (what `factory` imports)."""
        _CONTEXT.set_forkserver_preload(
            ["__main__", serve.__module__, factory.__module__, *preload]
        )
        init = Init(factory, inventory, dict(credentials), max(1, threads), _log_level())
        data = dumps(init)
        self._workers = [_Worker(index, data) for index in range(max(1, workers))]
        self._lock = threading.Lock()
        self._pinned: dict[str, _Worker] = {}
        self._turn = itertools.cycle(self._workers)
        self._closed = False
        self._finalizer = Finalize(self, _stop_all, args=(list(self._workers),), exitpriority=10)
        for worker in self._workers:
            worker.start()

    def transport(self, host: Host) -> _RemoteTransport:
        """The host's transport: its calls go to the host's worker."""
        return _RemoteTransport(self._worker(host), host)

    def reachable(self, host: Host) -> None:
        """Check the host answers, without a logon, from the host's worker."""
        self._worker(host).call(host, "reachable")

    def authenticate(self, host: Host) -> None:
        """Open the host's connection now, in the host's worker."""
        self._worker(host).call(host, "authenticate")

    def close_all(self) -> None:
        """Every worker closes its connections (all at once), then exits; never raises."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        pending = [worker.submit(None, "close_all") for worker in self._workers]
        for future in pending:
            _write_logs(future.result().logs)  # a dead worker's error: nothing to close there
        self._finalizer()

    def _worker(self, host: Host) -> _Worker:
        with self._lock:
            found = self._pinned.get(host.name)
            if found is None:
                found = self._pinned[host.name] = next(self._turn)
            return found


class _RemoteTransport:
    """One host's transport, in its worker."""

    def __init__(self, worker: _Worker, host: Host) -> None:
        self._worker = worker
        self._host = host

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Run the command in the host's worker; what it raised is raised here."""
        result: CommandResult = self._worker.call(
            self._host, "run", command=command, timeout=timeout
        )
        return result

    def close(self) -> None:
        """Close the host's connection in its worker."""
        self._worker.call(self._host, "close")


class _Worker:
    """One worker process, its pipe, and the calls waiting for an answer."""

    def __init__(self, index: int, init: bytes) -> None:
        self.name = f"orchestrator-transport-{index}"
        self._init = init
        self._conn, child = _CONTEXT.Pipe()
        self._child: Connection | None = child
        self.process = _CONTEXT.Process(target=serve, args=(child,), name=self.name, daemon=False)
        self._lock = threading.Lock()  # the pending calls, the known hosts, the death
        self._waiting = threading.Lock()  # one thread at a time waits for the process's end
        self._send_lock = threading.Lock()
        self._ready = threading.Event()
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[Future[Reply], str, str]] = {}
        self._known: set[str] = set()
        self._dead: str | None = None  # why it cannot answer any more

    def start(self) -> None:
        """Start the process (signals blocked, see the module's docstring) and its reader."""
        with _blocked(_SIGNALS):
            self.process.start()
        assert self._child is not None
        self._child.close()  # ours closed: its end dies with it, and our reader sees EOF
        self._child = None
        threading.Thread(target=self._read, name=f"{self.name}-reader", daemon=True).start()

    def call(self, host: Host, op: str, **fields: Any) -> Any:
        """Send the call, wait for its answer, write its logs; return its value or raise."""
        reply = self.submit(host, op, **fields).result()
        _write_logs(reply.logs)
        if reply.error is not None:
            raise reply.error
        return reply.value

    def submit(self, host: Host | None, op: str, **fields: Any) -> Future[Reply]:
        """Send the call; the future's reply says how it went (a lost worker's, if it died)."""
        name = "" if host is None else host.name
        future: Future[Reply] = Future()
        with self._lock:
            request_id = next(self._ids)
            self._pending[request_id] = (future, op, name)
            dead = self._dead is not None
        if dead:
            self._lost(request_id, sent=False)
            return future
        self._ready.wait()
        with self._send_lock:
            first = host is not None and name not in self._known
            request = Request(request_id, op, name, host if first else None, **fields)
            try:
                self._conn.send_bytes(dumps(request))
            except (OSError, ValueError):
                self._lost(request_id, sent=False)
            else:
                self._known.add(name)
        return future

    def stop(self) -> None:
        """Ask the worker to exit (killed if it has not after EXIT_WAIT); its reader then sees
        the pipe close (closing our end under a blocked reader would not wake it)."""
        if self.process.pid is None:
            return
        if self._ready.wait(EXIT_WAIT):  # else it hangs before reading its Init: killed below
            with self._send_lock, suppress(OSError, ValueError):  # gone already
                self._conn.send_bytes(dumps(Request(0, EXIT)))
        with self._waiting:  # two waits at once could misread its exit code (popen_forkserver)
            self.process.join(EXIT_WAIT)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()

    def _read(self) -> None:
        with self._send_lock, suppress(OSError, ValueError):  # dead before its first message
            self._conn.send_bytes(self._init)
        self._init = b""  # it holds the passwords: kept no longer than needed
        self._ready.set()
        while True:
            try:
                reply = read_reply(self._conn.recv_bytes())
            except (EOFError, OSError, ValueError):
                break
            with self._lock:
                found = self._pending.pop(reply.id, None)
            if found is not None:
                found[0].set_result(reply)
        self._died()
        self._conn.close()

    def _died(self) -> None:
        with self._waiting:
            self.process.join(1.0)
            code = self.process.exitcode
        with self._lock:
            self._dead = "it exited" if code is None else f"it exited with code {code}"
            waiting = list(self._pending)
        for request_id in waiting:
            self._lost(request_id, sent=True)

    def _lost(self, request_id: int, *, sent: bool) -> None:
        with self._lock:
            found = self._pending.pop(request_id, None)
            why = self._dead or "its pipe is closed"
        if found is None:
            return
        future, op, host = found
        may_have_run = sent and op == "run"  # nothing else runs anything on the host
        error = TransportError(
            f"{host or 'transport'}: the transport worker process {self.name} is gone ({why});"
            + (" the command may have run" if may_have_run else " nothing was sent to the host"),
            where=Where(host=host),
            may_have_run=may_have_run,
        )
        future.set_result(Reply(request_id, error=error))


def _stop_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.stop()


@contextmanager
def _blocked(signals: set[signal.Signals]) -> Iterator[None]:
    """Block signals in this thread: a child started now inherits the mask (as the stdlib's
    multiprocessing.resource_tracker starts its process), so Ctrl-C never reaches a worker
    before it ignores it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _log_level() -> int:
    """The least level this process writes (its workers record nothing below it)."""
    level = getattr(structlog.get_logger().bind(), "get_effective_level", None)
    return int(level()) if callable(level) else 0


def _write_logs(events: tuple[LogEvent, ...]) -> None:
    """What a worker's transport logged, written through this process's logging."""
    log = structlog.get_logger("orchestrator.transport")
    for event in events:
        fields = dict(event)
        level = str(fields.pop("level", "info"))
        message = fields.pop("event", "")
        getattr(log, level, log.info)(message, **fields)
