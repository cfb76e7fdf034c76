"""DomainBackend: the lab's domain side behind contract.LabBackend.

Thread-safe: one Condition (over an RLock) guards the model; the protocol side calls in from
many threads. A cmdlet that waits (Start-Process -Wait) waits on that Condition, which
releases the lock, so other pipelines and the clock keep going. In real-time mode a ticker
thread (`start()` / `stop()`) runs clock events as they fall due, so scheduled tasks fire and
clients check in while nobody is connected; tests use a manual clock and `advance`.

    backend = DomainBackend.from_scenario("tb1-lockout", Overrides(clients=50))
    with backend, LabServer(backend) as lab:   # the ticker runs while the lab serves
        ...
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from orchestrator.lab.clock import Clock
from orchestrator.lab.cmdlets import CATALOG, Catalog
from orchestrator.lab.cmdlets.engine import run_statements
from orchestrator.lab.cmdlets.runtime import Session
from orchestrator.lab.cmdlets.task_actions import task_runner
from orchestrator.lab.contract import (
    Account,
    AuthOutcome,
    InvocationResult,
    SecureString,
    Statement,
)
from orchestrator.lab.domain import changes, lifecycle, lockout, principals, snapshot
from orchestrator.lab.domain.accounts import UserAccount
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.registry import RegValue, native_path
from orchestrator.lab.domain.state import LabState
from orchestrator.lab.domain.views import AccountView, ClientView, TaskView
from orchestrator.lab.scenarios import Overrides, Scenario, load_scenario
from orchestrator.lab.scenarios.build import build

_POLL = 0.05  # seconds between checks of `stop` while a cmdlet waits


class HostDownError(ConnectionError):
    """The host is down (fault injection): its endpoint must refuse the connection."""


class DomainBackend:
    """The simulated domain, as the protocol side and the tests see it."""

    def __init__(self, state: LabState, catalog: Catalog = CATALOG) -> None:
        self._state = state
        self._catalog = catalog
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None
        self._observers: list[changes.AccountObserver] = []
        self._accounts: changes.Snapshot = {}
        state.task_runner = task_runner(catalog)

    @classmethod
    def from_scenario(
        cls,
        scenario: str | Scenario,
        overrides: Overrides | None = None,
        *,
        manual_clock: bool = False,
        speed: float = 1.0,
    ) -> DomainBackend:
        """Build from a shipped scenario name, a YAML path, or a Scenario; clock from its start."""
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, overrides)
        clock = Clock(spec.start, manual=manual_clock, speed=speed)
        return cls(build(spec, clock))

    # -- contract.LabBackend ---------------------------------------------------------------

    def host_names(self) -> Sequence[str]:
        """Every host, in scenario order."""
        with self._cond:
            return [h.name for h in self._state.hosts.values()]

    def host_is_up(self, host: str) -> bool:
        """False while the host is down."""
        with self._cond:
            return self._host(host).up

    def accounts(self, host: str) -> Sequence[Account]:
        """Local accounts (domain = host name) and domain accounts that have a password."""
        with self._cond:
            target = self._host(host)
            state = self._state
            stores = [state.ad.store] if target.sam is None else [target.sam, state.ad.store]
            return [
                Account(store.authority, user.name, user.password.reveal())
                for store in stores
                for user in store.users()
                if user.password is not None
            ]

    def authenticate(self, host: str, username: str, password: str) -> AuthOutcome:
        """A clear-text logon (Basic): compare, then apply the lockout policy ([MS-SAMR])."""
        with self._cond:
            self._state.clock.run_due()
            target = self._host(host)
            found = principals.resolve_logon(self._state, target, username)
            if found is None or not isinstance(found.principal, UserAccount):
                return AuthOutcome.NO_SUCH_USER
            user = found.principal
            policy = self._state.policy_for(target, user)
            outcome = lockout.check_logon(user, policy, self._state.now(), SecureString(password))
            self._committed()  # a lockout, or a success clearing one, is the KDC's too
            return outcome

    def record_logon(self, host: str, username: str, *, password_ok: bool) -> AuthOutcome:
        """A logon checked elsewhere (NTLM): apply the policy; locked stays LOCKED."""
        with self._cond:
            self._state.clock.run_due()
            target = self._host(host)
            found = principals.resolve_logon(self._state, target, username)
            if found is None or not isinstance(found.principal, UserAccount):
                return AuthOutcome.NO_SUCH_USER
            user = found.principal
            policy = self._state.policy_for(target, user)
            outcome = lockout.logon(user, policy, self._state.now(), password_ok=password_ok)
            self._committed()
            return outcome

    def invoke(
        self, host: str, user: str, statements: Sequence[Statement], stop: threading.Event
    ) -> InvocationResult:
        """Run one pipeline on `host` as `user`; clock events due before and after run too."""
        with self._cond:
            target = self._host(host)
            if not target.up:
                raise HostDownError(host)
            self._state.clock.run_due()
            session = Session(self._state, target, user, stop, self._waiter(stop))
            result = run_statements(self._catalog, session, statements)
            self._state.clock.run_due()
            self._committed()
            return result

    # -- account observers ------------------------------------------------------------------

    def observe(self, observer: changes.AccountObserver) -> None:
        """Tell `observer` about every later change to the domain's accounts (a KDC mirroring
        the directory): after each pipeline and each move of the clock, one batch of changes."""
        with self._cond:
            if not self._observers:
                self._accounts = changes.snapshot(self._state.ad)
            self._observers.append(observer)

    def _committed(self) -> None:
        """After a change under the lock: wake waiters, tell observers what accounts changed."""
        self._cond.notify_all()
        if not self._observers:
            return  # no snapshot at all: a lab without observers pays nothing
        now = changes.snapshot(self._state.ad)
        found = changes.diff(self._accounts, now)
        self._accounts = now
        if found:
            for observer in self._observers:
                observer.accounts_changed(found)

    # -- clock ------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The lab clock (mutate it only through this backend's methods)."""
        return self._state.clock

    def now(self) -> datetime:
        """Virtual time."""
        with self._cond:
            return self._state.now()

    def advance(self, delta: timedelta) -> int:
        """Move virtual time forward, running every event on the way; return how many ran."""
        with self._cond:
            ran = self._state.clock.advance(delta)
            self._committed()
            return ran

    def run_until(self, when: datetime) -> int:
        """Move virtual time to `when`."""
        with self._cond:
            ran = self._state.clock.run_until(when)
            self._committed()
            return ran

    def run_due(self) -> int:
        """Run the events already due (real-time mode without the ticker)."""
        with self._cond:
            ran = self._state.clock.run_due()
            self._committed()
            return ran

    def start(self) -> None:
        """Start the real-time ticker thread (idempotent)."""
        if self._ticker is not None or self._state.clock.manual:
            return
        self._stopping.clear()
        self._ticker = threading.Thread(target=self._tick, name="lab-clock", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Stop the ticker thread."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None

    def __enter__(self) -> DomainBackend:
        """`with backend:` runs the real-time ticker for the block."""
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _tick(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                clock = self._state.clock
                if clock.run_due():
                    self._committed()
                else:
                    self._cond.notify_all()
                due = clock.next_due()
                delay = 0.25 if due is None else (due - clock.now()).total_seconds() / clock.speed
            self._stopping.wait(min(max(delay, 0.001), 0.25))

    def _waiter(self, stop: threading.Event) -> Callable[[datetime], bool]:
        def wait_until(when: datetime) -> bool:
            clock = self._state.clock
            while True:
                if clock.now() >= when:
                    # run what is due only now that `when` has passed: a check before the
                    # events ran let Start-Process -Wait return a process that had not exited
                    clock.run_due()
                    return True
                clock.run_due()
                if stop.is_set():
                    return False
                self._cond.wait(timeout=_POLL)  # releases the lock while waiting

        return wait_until

    # -- fault injection (domain half) ------------------------------------------------------

    def set_host_up(self, host: str, up: bool) -> None:
        """Take a host down or bring it back (missed tasks, client restart on boot)."""
        with self._cond:
            lifecycle.set_host_up(self._state, self._host(host), up)

    def set_clock_skew(self, host: str, skew: timedelta) -> None:
        """Make a host's clock read `skew` ahead (negative: behind)."""
        with self._cond:
            lifecycle.set_skew(self._state, self._host(host), skew)

    # -- inspection -------------------------------------------------------------------------

    @contextmanager
    def inspect(self) -> Iterator[LabState]:
        """The live model under the lock, for read-only inspection in tests."""
        with self._cond:
            yield self._state

    def ad_account(self, name: str) -> AccountView | None:
        """An AD user's lockout state (badPwdCount, LockedOut ...)."""
        with self._cond:
            user = self._state.ad.store.user(name)
            ad = self._state.ad
            return AccountView.of(user, ad.lockout, self._state.now()) if user else None

    def local_account(self, host: str, name_or_sid: str) -> AccountView | None:
        """A local account of a host (by name or SID; on a DC, the domain's)."""
        with self._cond:
            target = self._host(host)
            store = self._state.store_for(target)
            user = store.user_by_sid(name_or_sid) or store.user(name_or_sid)
            return AccountView.of(user, target.lockout, self._state.now()) if user else None

    def client_status(self, host: str) -> ClientView | None:
        """One SMS client's status."""
        with self._cond:
            client = self._state.client(host)
            return ClientView.of(self._state, client) if client else None

    def clients(self) -> list[ClientView]:
        """Every SMS client's status."""
        with self._cond:
            return [ClientView.of(self._state, c) for c in self._state.clients.values()]

    def client_log(self, host: str) -> tuple[str, ...]:
        """The client's Ccim32.log lines (newest last, capped)."""
        with self._cond:
            client = self._state.client(host)
            return tuple(client.log) if client else ()

    def task_info(self, host: str, name: str, path: str = "\\") -> TaskView | None:
        """A scheduled task's run state."""
        with self._cond:
            task = self._host(host).tasks.get((path + name).lower())
            return TaskView.of(task) if task else None

    def registry_value(self, host: str, key: str, name: str) -> RegValue | None:
        """A registry value of a host (key as HKLM:\\... or HKEY_LOCAL_MACHINE\\...)."""
        with self._cond:
            native = native_path(key)
            return self._host(host).registry.get(native, name) if native else None

    def state_digest(self) -> str:
        """A digest of the whole domain; unchanged by read-only commands."""
        with self._cond:
            return snapshot.digest(self._state)

    def _host(self, name: str) -> Host:
        found = self._state.host(name)
        if found is None:
            raise KeyError(f"no such lab host: {name}")
        return found
