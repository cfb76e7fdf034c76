"""The pypsrp adapter: one WSMan + RunspacePool per host, opened once and reused.

    connector = PsrpConnector(inventory, {"admin": ("CONTOSO\\admin", secret)})
    connector.authenticate(host)                  # preflight: opens the pool (AuthError ...)
    result = connector.transport(host).run(Command.of("Get-LocalUser", Name="Guest"))
    connector.close_all()

Only this module and its psrp_* helpers import pypsrp or requests. What they raise is
translated at this boundary (psrp_errors.py); cmdlet errors come back inside the result.

Threads: a transport holds a lock around every call, so the runner may hand it from one
worker thread to the next, but never uses it from two at once: with NTLM sealing a shared
WSMan or pool fails every time (our own observation; diyan/pywinrm#277 reports the same).

Idle pools: Windows closes an idle keep-alive connection after ~2 minutes; with NTLM/Kerberos
sealing over HTTP every later request is then HTTP 400, because pypsrp keeps sealing with the
dead connection's keys (pypsrp #21); a pool the host dropped answers WSManFault 2150858843
(pypsrp #22). Both answers prove the host did not process the request, so when the command
request itself gets one, the transport rebuilds WSMan and pool and sends the command once more;
any other failure is raised (tenacity, in the runner, is the only retry layer). A session that
failed in any way is dropped and rebuilt on next use, and the shell it leaves on the host is
deleted through the next session (Windows allows ~25 shells per user).

Requests per command: a Command and a Receive (two HTTP requests), no Signal: a finished
pipeline is released on our side only, and the pool renewed (one Delete frees every command
it holds) after UNSIGNALLED_PER_POOL of them; pipeline.release says why that is safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import TracebackType

import structlog
from pypsrp.complex_objects import PSInvocationState
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import SelectorSet, WSMan

from orchestrator.commands import Command, CommandResult
from orchestrator.deadline import Deadline
from orchestrator.errors import (
    AuthError,
    OperationTimeout,
    OrchestratorError,
    TransportError,
    Where,
)
from orchestrator.inventory.model import Auth, Host, Inventory
from orchestrator.transport.psrp.errors import (
    BOUNDARY,
    certainly_not_run,
    never_connected,
    stale_connection,
    translate,
)
from orchestrator.transport.psrp.kerberos import kerberos_first
from orchestrator.transport.psrp.krb5_config import Krb5Config
from orchestrator.transport.psrp.pipeline import (
    UNSIGNALLED_PER_POOL,
    DeadlineReachedError,
    build,
    check_parameters,
    drive,
    finished,
    has_secret,
    name_of,
    release,
    stop,
)
from orchestrator.transport.psrp.reach import check_reachable
from orchestrator.transport.psrp.records import command_result
from orchestrator.transport.psrp.settings import Login, build_wsman, settings_for

__all__ = ["Login", "PsrpConnector", "PsrpTransport"]

_log = structlog.get_logger(__name__)
_MAX_ORPHANS = 25  # the PowerShell endpoint's MaxShellsPerUser: more could never be open


@dataclass(frozen=True)
class _Session:
    """One authenticated connection and the pool opened over it."""

    wsman: WSMan
    pool: RunspacePool


@dataclass(frozen=True)
class _ShellRef:
    """A pool left open on the host by a dropped session."""

    resource_uri: str
    shell_id: str


class _StaleSessionError(Exception):
    """The host refused the command request unprocessed (400 or shell gone): resend it."""


class PsrpTransport:
    """Runs commands on one host over a RunspacePool opened on first use and then reused."""

    def __init__(self, host: Host, login: Login | None = None, *, base_dir: Path = Path()) -> None:
        """`login` is (user, password) of the host's credential; `base_dir` anchors paths."""
        self.host = host
        self._login = login
        self._base_dir = base_dir
        self._lock = threading.Lock()
        self._session: _Session | None = None
        self._released = 0  # finished pipelines the open pool holds unsignalled
        self._orphans: list[_ShellRef] = []
        self._rejected: AuthError | None = None

    def __repr__(self) -> str:
        conn = self.host.connection
        user = self._login[0] if self._login else None
        return (
            f"PsrpTransport({self.host.name}, {conn.scheme.value}://{self.host.address}:"
            f"{conn.port}{conn.path}, auth={conn.auth.value}, user={user!r})"
        )

    @property
    def shell_id(self) -> str | None:
        """The open pool's WS-Man ShellId (for diagnostics), or None while none is open."""
        session = self._session
        return None if session is None else str(session.pool.id)

    def open(self) -> None:
        """Authenticate and open the pool now, if not open yet (the runner's preflight)."""
        with self._lock, self._dropped_on_surprise():
            self._ensure_session()

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Run one command; its cmdlet errors are in the result, transport failures raised."""
        seconds = None if timeout is None else timeout.total_seconds()
        if seconds is not None and seconds <= 0:
            raise OperationTimeout(
                f"{self.host.name}: no time left to run {name_of(command)}", where=self._where
            )
        check_parameters(command)  # a value we cannot send is our bug, not the host's
        deadline = None if seconds is None else Deadline.after(seconds)
        with self._lock, self._dropped_on_surprise():
            try:
                return self._attempt(command, deadline, resendable=True)
            except _StaleSessionError as stale:
                _log.info("transport.reopen", host=self.host.name, reason=str(stale))
                return self._attempt(command, deadline, resendable=False)

    def close(self) -> None:
        """Close the pool (Delete) and the connection; never raises. Waits for a command that
        another thread is running; a later run() opens a new pool."""
        with self._lock:
            session, self._session = self._session, None
            if session is not None:
                self._close_session(session)

    def __enter__(self) -> PsrpTransport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- one attempt --------------------------------------------------------------------------

    @property
    def _where(self) -> Where:
        return Where(host=self.host.name)

    @contextmanager
    def _dropped_on_surprise(self) -> Iterator[None]:
        """After an unexpected exception or an interrupt mid-exchange, start afresh next time."""
        try:
            yield
        except OrchestratorError:
            raise  # ours: the session was dropped already where that was needed
        except BaseException:
            self._drop_session()
            raise

    def _attempt(
        self, command: Command, deadline: Deadline | None, *, resendable: bool
    ) -> CommandResult:
        reused = self._session is not None
        session = self._ensure_session()
        ps = self._start(session, command, resendable=resendable and reused)
        self._await(ps, command, deadline)
        result = command_result(command, ps)
        self._release(ps)
        return result

    def _start(self, session: _Session, command: Command, *, resendable: bool) -> PowerShell:
        ps: PowerShell | None = None
        try:
            if has_secret(command):
                session.pool.exchange_keys()  # once per pool; pypsrp skips it after that
            ps = build(session.pool, command)
            ps.begin_invoke()
        except BOUNDARY as exc:
            unsent = ps is None or ps.state == PSInvocationState.NOT_STARTED
            if resendable and unsent and certainly_not_run(exc):
                self._drop_session()
                raise _StaleSessionError(f"{type(exc).__name__}: {_code(exc)}") from exc
            # before begin_invoke, or on a connection never made, the host got nothing
            sent = ps is not None and not (certainly_not_run(exc) or never_connected(exc))
            raise self._failure(exc, sent=sent) from exc
        return ps

    def _await(self, ps: PowerShell, command: Command, deadline: Deadline | None) -> None:
        try:
            drive(ps, deadline, self.host.connection.operation_timeout.total_seconds())
        except DeadlineReachedError:
            self._stop(ps, command)
            raise OperationTimeout(
                f"{self.host.name}: {name_of(command)} did not finish in time and was stopped",
                where=self._where,
            ) from None
        except BOUNDARY as exc:
            raise self._failure(exc) from exc

    def _stop(self, ps: PowerShell, command: Command) -> None:
        _log.info("transport.deadline", host=self.host.name, command=name_of(command))
        try:
            stop(ps)
        except BOUNDARY as exc:
            _log.info("transport.stop_failed", host=self.host.name, error=type(exc).__name__)
            self._drop_session()
            return
        self._release(ps)

    def _release(self, ps: PowerShell) -> None:
        """Forget a finished pipeline without a Signal (pipeline.release says why)."""
        if finished(ps):
            release(ps)
            self._released += 1

    def _failure(self, exc: BaseException, *, sent: bool = True) -> TransportError:
        """Translate, drop the (now suspect) session, and never try a rejected login again.

        sent: whether the command may have reached the host (False while opening a session:
        then resending it cannot make any change twice)."""
        self._drop_session()
        error = translate(exc, self.host.name, may_have_run=sent)
        if isinstance(error, AuthError):
            self._rejected = error
        return error

    # -- sessions -----------------------------------------------------------------------------

    def _ensure_session(self) -> _Session:
        if self._rejected is not None:
            raise AuthError(
                f"{self.host.name}: not contacted again: its credential was rejected by this"
                " host already (one attempt)",
                where=self._where,
            ) from self._rejected
        if self._session is not None and self._released >= UNSIGNALLED_PER_POOL:
            self._renew_pool(self._session)
        if self._session is None:
            self._released = 0
            self._kerberos_before_negotiate()
            self._session = self._open_pool(self._new_wsman())
            self._delete_orphans(self._session.wsman)
        return self._session

    def _new_wsman(self) -> WSMan:
        settings = settings_for(self.host, self._login, self._base_dir)
        try:
            return build_wsman(settings)
        except (ValueError, ImportError) as exc:  # pypsrp refuses a combination of settings
            raise TransportError(
                f"{self.host.name}: cannot connect as configured: {exc}", where=self._where
            ) from exc

    def _open_pool(self, wsman: WSMan) -> _Session:
        pool = RunspacePool(wsman)
        try:
            pool.open()
        except BOUNDARY as exc:
            self._forget(_Session(wsman, pool))
            raise self._failure(exc, sent=False) from exc
        _log.debug("transport.open", host=self.host.name, auth=self.host.connection.auth.value)
        return _Session(wsman, pool)

    def _kerberos_before_negotiate(self) -> None:
        """auth negotiate with a user@REALM and a password: the KDC first, so that a refused
        password is not tried again over NTLM (kerberos.kerberos_first)."""
        conn = self.host.connection
        if conn.auth is not Auth.NEGOTIATE or self._login is None or "@" not in self._login[0]:
            return
        username, password = self._login
        hostname = conn.kerberos_hostname or self.host.address
        refusal = kerberos_first(username, password.reveal(), hostname)
        if refusal is not None:
            raise self._failure(refusal, sent=False) from refusal

    def _renew_pool(self, session: _Session) -> None:
        """Delete the pool, which releases every command Windows keeps in it, and open another
        over the same connection (no new logon); after a failed Delete, start afresh."""
        self._session = None
        self._released = 0
        try:
            session.pool.close()
        except BOUNDARY as exc:
            _log.debug("transport.renew_failed", host=self.host.name, error=type(exc).__name__)
            self._forget(session)  # its shell is deleted through the next session
            return
        self._session = self._open_pool(session.wsman)

    def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            self._forget(session)

    def _forget(self, session: _Session) -> None:
        """Let go of a session without talking to the host; remember its shell for deletion."""
        shell = session.pool.shell
        if shell.opened and shell.id and len(self._orphans) < _MAX_ORPHANS:
            self._orphans.append(_ShellRef(shell.resource_uri, shell.id))
        session.wsman.close()

    def _delete_orphans(self, wsman: WSMan) -> None:
        while self._orphans:
            ref = self._orphans.pop()
            selectors = SelectorSet()
            selectors.add_option("ShellId", ref.shell_id)
            try:
                wsman.delete(ref.resource_uri, selector_set=selectors)
            except WSManFaultError:
                continue  # already gone (reaped, or what made the session fail)
            except BOUNDARY as exc:
                self._orphans.append(ref)
                raise self._failure(exc, sent=False) from exc
            _log.debug("transport.orphan_deleted", host=self.host.name)

    def _close_session(self, session: _Session) -> None:
        try:
            session.pool.close()
        except BOUNDARY as exc:
            _log.debug("transport.close_failed", host=self.host.name, error=type(exc).__name__)
            self._forget(session)
            if stale_connection(exc):  # the host is up, only this connection is dead (#21)
                self._sweep_orphans()
            return
        session.wsman.close()

    def _sweep_orphans(self) -> None:
        """Delete left-over pools over a new connection that opens no pool of its own."""
        try:
            wsman = build_wsman(settings_for(self.host, self._login, self._base_dir))
        except (TransportError, ValueError, ImportError):
            return
        try:
            self._delete_orphans(wsman)
        except TransportError as exc:
            _log.debug("transport.sweep_failed", host=self.host.name, error=type(exc).__name__)
        finally:
            wsman.close()


def _code(exc: BaseException) -> str:
    return str(getattr(exc, "code", "")) or type(exc).__name__


CLOSE_PARALLEL = 20  # pools closed at once when a run ends


class PsrpConnector:
    """The runner's Connector over pypsrp: one PsrpTransport per host, created on first use."""

    def __init__(self, inventory: Inventory, credentials: Mapping[str, Login]) -> None:
        """`credentials`: {credential name: (user name, password)}, resolved by the runner."""
        self._inventory = inventory
        self._credentials = dict(credentials)
        self._lock = threading.Lock()
        self._transports: dict[str, PsrpTransport] = {}
        self._krb5_config = Krb5Config(inventory.kerberos_config)
        self._krb5_config.apply()

    def transport(self, host: Host) -> PsrpTransport:
        """The host's transport (the same one every time); thread-safe."""
        with self._lock:
            found = self._transports.get(host.name)
            if found is None:
                found = PsrpTransport(host, self._login(host), base_dir=self._inventory.base_dir)
                self._transports[host.name] = found
            return found

    def reachable(self, host: Host) -> None:
        """Check the host's endpoint answers, without a logon (ConnectError when it does not)."""
        check_reachable(host, self._inventory.base_dir)

    def authenticate(self, host: Host) -> None:
        """Open the host's pool now: AuthError, ConnectError ... before anything changes."""
        self.transport(host).open()

    def close_all(self) -> None:
        """Close every transport (Delete each pool), up to CLOSE_PARALLEL at once (one after
        the other took ~11 ms a host: 11 s at 1,000 hosts, bench/README.md); never raises."""
        with self._lock:
            transports = list(self._transports.values())
            self._transports.clear()
        try:
            if len(transports) <= 1:
                for transport in transports:
                    transport.close()
                return
            workers = min(CLOSE_PARALLEL, len(transports))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="close") as pool:
                list(pool.map(PsrpTransport.close, transports))
        finally:
            self._krb5_config.restore()

    def __enter__(self) -> PsrpConnector:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close_all()

    def _login(self, host: Host) -> Login | None:
        name = host.connection.credential
        return None if name is None else self._credentials.get(name)
