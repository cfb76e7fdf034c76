"""The fan-out core: the one way to reach hosts, shared by every command.

Run, plan, a window's clock reading and revert, rollback and resume all go through a Fanout;
none opens a transport any other way, so its promises hold on every path:

- one bounded thread pool (`forks`) is the only concurrency here (pypsrp is synchronous);
  the connector may carry each call to a worker process (transport/workers.py: the WinRM
  client stack on every core), but the decisions below all stay in this process;
- the credential preflight (preflight.py): every host is asked whether it is there, in
  parallel and without a logon, then each credential logs on once;
- the breaker: every transport it hands out checks the credential before each command, and a
  credential not yet proven makes its first contacts one at a time; a rejected credential is
  never tried again in the command, on any path: exactly one failed logon per credential;
- the one record of the hosts that are out (failed, unreachable, refused) and why;
- closing every connection when the command ends.

    with Fanout(connector, forks=20, usernames=..., events=bus) as fanout:
        fanout.preflight(hosts)
        results = fanout.map(fanout.active(hosts), work)   # work(host) uses fanout.transport(host)
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import TypeVar

from orchestrator.commands import Command, CommandResult, Connector, Transport
from orchestrator.engine import events as ev
from orchestrator.engine.breaker import CredentialBreaker, Rejection
from orchestrator.engine.step import Status
from orchestrator.errors import AuthError, NotContactedError
from orchestrator.inventory.model import Host

T = TypeVar("T")
R = TypeVar("R")
CONNECT_STEP = "(connect)"  # the pseudo-step under which hosts lost before any step are reported


class OutKind(enum.StrEnum):
    """Why a host left the command."""

    FAILED = "failed"  # a step failed on it (not ignored)
    UNREACHABLE = "unreachable"  # it could not be reached
    REFUSED = "refused"  # its credential was rejected


@dataclass(frozen=True)
class Exclusion:
    """A host that is out of the command, and why."""

    host: str
    kind: OutKind
    reason: str


class Fanout:
    """The pool, the preflight, the breaker, the hosts that are out, and the connections."""

    def __init__(
        self,
        connector: Connector,
        *,
        forks: int = 20,
        usernames: Mapping[str, str] | None = None,
        events: ev.EventBus | None = None,
    ) -> None:
        self.connector = connector
        self.forks = max(1, forks)
        self.usernames = dict(usernames or {})
        self.events = events or ev.EventBus()
        self.breaker = CredentialBreaker()
        self._lock = threading.Lock()
        self._out: dict[str, Exclusion] = {}
        self._reached: set[str] = set()  # hosts whose endpoint answered the preflight
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    # -- lifetime ------------------------------------------------------------------------------

    def __enter__(self) -> Fanout:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pool and close every connection (once)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.connector.close_all()

    # -- the pool ------------------------------------------------------------------------------

    def map(self, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
        """`work` over every item, `forks` at a time; results in order. A bug in a worker is
        raised here, never lost."""
        if not items:
            return []
        pool = self._executor()
        futures = [pool.submit(work, item) for item in items]
        # Timed: a signal (Ctrl-C, SIGTERM) that lands just as this thread blocks is handled
        # only when it runs Python code again, and the workers wait for what the handler sets.
        while wait(futures, timeout=0.25).not_done:
            pass
        return [future.result() for future in futures]

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the fan-out was closed")  # a bug: reached after the end
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.forks, thread_name_prefix="host")
            return self._pool

    # -- who is out ----------------------------------------------------------------------------

    def exclusion(self, host: Host) -> Exclusion | None:
        """Why the host is out of the command, or None while it is in.

        A host whose credential was rejected on another host is still in until something
        tries to reach it: that attempt fails at once ("not contacted") and takes it out, so
        every such host gets its own result in the recap and the reports."""
        with self._lock:
            return self._out.get(host.name)

    def is_out(self, host: Host) -> bool:
        """Whether the host left the command."""
        return self.exclusion(host) is not None

    def active(self, hosts: Iterable[Host]) -> list[Host]:
        """The hosts still in the command, in order."""
        return [h for h in hosts if not self.is_out(h)]

    def take_out(self, host: Host, kind: OutKind, reason: str) -> bool:
        """Record that the host left the command; True the first time."""
        with self._lock:
            if host.name in self._out:
                return False
            self._out[host.name] = Exclusion(host.name, kind, reason)
            return True

    def exclusions(self, hosts: Iterable[Host]) -> dict[str, Exclusion]:
        """Of these hosts, those that are out, and why."""
        return {h.name: e for h in hosts if (e := self.exclusion(h)) is not None}

    def left(self) -> frozenset[str]:
        """The names of the hosts recorded out (waits stop counting them)."""
        with self._lock:
            return frozenset(self._out)

    def report_out(self, host: Host) -> None:
        """Emit the host's exclusion as a result of the (connect) pseudo-step."""
        found = self.exclusion(host)
        if found is None:
            return
        status = Status.UNREACHABLE if found.kind is OutKind.UNREACHABLE else Status.FAILED
        self.events.emit(ev.HostStepFinished(CONNECT_STEP, host.name, status, error=found.reason))

    # -- credentials ---------------------------------------------------------------------------

    def who(self, host: Host) -> tuple[str, str]:
        """The host's credential name and its user name (never the password)."""
        credential = host.connection.credential or "(none)"
        return credential, self.usernames.get(credential, "")

    def rejection(self, host: Host) -> Rejection | None:
        """The rejection of the host's credential, if it was rejected in this command."""
        return self.breaker.rejection(host.connection.credential)

    def rejections(self) -> list[Rejection]:
        """Every credential rejected in this command, in order."""
        return self.breaker.rejections()

    def rejected(self, host: Host, reason: str = AuthError.reason) -> bool:
        """A refused logon on the host (`reason`: AuthError.reason): trip the breaker
        (emitting the rejection the first time) and take the host out. True when this was the
        credential's first rejection."""
        credential, username = self.who(host)
        first = self.breaker.trip(Rejection(credential, username, host.name, reason))
        if first:
            self.events.emit(ev.CredentialRejected(credential, username, host.name, reason))
        self.take_out(host, OutKind.REFUSED, self.refusal(host, reason))
        return first

    def refusal(self, host: Host, reason: str) -> str:
        """What a host whose logon was refused reports: its credential and why."""
        credential, _ = self.who(host)
        return f"authentication failed: credential '{credential}' was rejected ({reason})"

    def contact(self, host: Host, action: Callable[[], T]) -> T:
        """Do `action` (something that may log on to `host`) under the breaker: never with a
        rejected credential, one at a time while the credential is unproven."""
        credential = host.connection.credential or "(none)"
        self._refuse_if_rejected(host)
        with self.breaker.first_contact(credential):
            self._refuse_if_rejected(host)
            try:
                value = action()
            except AuthError as exc:
                self.rejected(host, exc.reason)
                raise
            self.breaker.accept(credential, host.name)
        return value

    def _refuse_if_rejected(self, host: Host) -> None:
        rejection = self.rejection(host)
        if rejection is not None:
            raise NotContactedError(rejection.explain())

    # -- transports ----------------------------------------------------------------------------

    def transport(self, host: Host) -> Transport:
        """The host's transport, behind the breaker (the connector's own is reused)."""
        return _Guarded(self, host)

    def authenticate(self, host: Host) -> None:
        """Log on to the host now, under the breaker."""
        self.contact(host, lambda: self.connector.authenticate(host))

    def reachable(self, host: Host) -> None:
        """Ask the host whether it is there, without a logon (ConnectError when not)."""
        self.connector.reachable(host)
        with self._lock:
            self._reached.add(host.name)

    def was_reached(self, host: Host) -> bool:
        """Whether the host answered the preflight's question already."""
        with self._lock:
            return host.name in self._reached

    def preflight(self, hosts: Sequence[Host]) -> None:
        """Before any change: who is there, then one logon per credential (preflight.py)."""
        from orchestrator.engine.preflight import check

        check(self, hosts)


class _Guarded:
    """A host's transport seen through the fan-out: the breaker before every command."""

    def __init__(self, fanout: Fanout, host: Host) -> None:
        self._fanout = fanout
        self._host = host

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Run the command on the host, unless its credential was rejected in this command."""
        inner = self._fanout.connector.transport
        return self._fanout.contact(
            self._host, lambda: inner(self._host).run(command, timeout=timeout)
        )

    def close(self) -> None:
        """The connection belongs to the fan-out, which closes it at the end."""
