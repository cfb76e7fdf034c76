"""A real, small, in-memory LabBackend: a handful of accounts and cmdlets, with lockout."""

from __future__ import annotations

import datetime
import enum
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.lab.contract import (
    Account,
    AuthOutcome,
    CommandCall,
    ErrorRecord,
    InvocationResult,
    PSObject,
    SecureString,
    Statement,
)

DOMAIN = "LAB"
LOCAL_USER_TYPES = (
    "Microsoft.PowerShell.Commands.LocalUser",
    "Microsoft.PowerShell.Commands.LocalPrincipal",
    "System.Object",
)
WHEN = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)


class PrincipalSource(enum.Enum):
    """Where a principal lives; serialized with its .NET type name."""

    __ps_type_name__ = "Microsoft.PowerShell.Commands.PrincipalSource"
    Unknown = 0
    Local = 1
    ActiveDirectory = 2


@dataclass
class User:
    """One account and its lockout state."""

    domain: str
    name: str
    password: str
    bad_count: int = 0
    locked: bool = False


@dataclass
class FakeBackend:
    """Hosts, accounts with a lockout threshold, and cmdlets that answer like Windows."""

    hosts: tuple[str, ...] = ("dc01", "srv01")
    threshold: int = 3
    down: set[str] = field(default_factory=set)
    users: dict[str, User] = field(default_factory=dict)
    logons: list[tuple[str, str, AuthOutcome]] = field(default_factory=list)
    invocations: list[tuple[str, str, tuple[Statement, ...]]] = field(default_factory=list)
    secrets: list[SecureString] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.add_user(DOMAIN, "alice", "Al1ce-pw!")
        self.add_user(DOMAIN, "bob", "B0b:with:colons")
        for host in self.hosts:
            self.add_user(host.upper(), "Administrator", f"{host}-Adm1n")

    def add_user(self, domain: str, name: str, password: str) -> None:
        """Create or replace an account."""
        with self._lock:
            self.users[f"{domain}\\{name}".lower()] = User(domain, name, password)

    def set_password(self, domain: str, name: str, password: str) -> None:
        """Change a password, as Set-ADAccountPassword does."""
        with self._lock:
            self.users[f"{domain}\\{name}".lower()].password = password

    # -- LabBackend ------------------------------------------------------------------------

    def host_names(self) -> Sequence[str]:
        return self.hosts

    def host_is_up(self, host: str) -> bool:
        return host not in self.down

    def accounts(self, host: str) -> Sequence[Account]:
        with self._lock:
            return [
                Account(u.domain, u.name, u.password)
                for u in self.users.values()
                if u.domain in (DOMAIN, host.upper())
            ]

    def authenticate(self, host: str, username: str, password: str) -> AuthOutcome:
        user = self._find(host, username)
        ok = user is not None and user.password == password
        return self.record_logon(host, username, password_ok=ok)

    def record_logon(self, host: str, username: str, *, password_ok: bool) -> AuthOutcome:
        with self._lock:
            outcome = self._outcome(self._find(host, username), password_ok=password_ok)
            self.logons.append((host, username, outcome))
            return outcome

    def invoke(
        self, host: str, user: str, statements: Sequence[Statement], stop: threading.Event
    ) -> InvocationResult:
        self.invocations.append((host, user, tuple(statements)))
        result = InvocationResult()
        for statement in statements:
            for call in statement.commands:
                _run(self, host, call, stop, result)
                if result.terminating is not None or result.stopped:
                    return result
        return result

    # -- internals -------------------------------------------------------------------------

    def _find(self, host: str, username: str) -> User | None:
        domain, _, name = username.rpartition("\\")
        if "@" in name:
            name, _, domain = name.partition("@")
            domain = domain.split(".")[0]
        if domain in ("", "."):
            domain = host.upper() if name.lower() == "administrator" else DOMAIN
        return self.users.get(f"{domain}\\{name}".lower())

    def _outcome(self, user: User | None, *, password_ok: bool) -> AuthOutcome:
        if user is None:
            return AuthOutcome.NO_SUCH_USER
        if user.locked:
            return AuthOutcome.LOCKED
        if password_ok:
            user.bad_count = 0
            return AuthOutcome.OK
        user.bad_count += 1
        user.locked = user.bad_count >= self.threshold
        return AuthOutcome.BAD_PASSWORD


def _params(call: CommandCall) -> dict[str, Any]:
    return {(name or "").lower(): value for name, value in call.parameters}


def _not_found(name: str, stop_on_error: bool) -> ErrorRecord:
    return ErrorRecord(
        message=f"User {name} was not found.",
        fully_qualified_error_id="UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand",
        category="ObjectNotFound",
        exception_type="Microsoft.PowerShell.Commands.UserNotFoundException",
        activity="Get-LocalUser",
        target_name=name,
        target_type="String",
        target_object=name,
    )


def _get_local_user(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    params = _params(call)
    name = str(params.get("name", "Guest"))
    if name.lower() not in ("guest", "administrator"):
        record = _not_found(name, False)
        if str(params.get("erroraction", "")).lower() == "stop":
            r.terminating = record
        else:
            r.errors.append(record)
        return
    props = {
        "Name": name,
        "Enabled": name.lower() == "administrator",
        "SID": f"S-1-5-21-1-2-3-{500 if name.lower() == 'administrator' else 501}",
        "PasswordLastSet": WHEN,
        "Description": None,
        "PrincipalSource": PrincipalSource.Local,
    }
    r.outputs.append(PSObject(LOCAL_USER_TYPES, props, name))


def _new_ad_user(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    password = _params(call).get("accountpassword")
    if isinstance(password, SecureString):
        b.secrets.append(password)


def _start_sleep(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    b.started.set()
    if stop.wait(float(_params(call).get("seconds", 1))):
        b.stopped.append(host)
        r.stopped = True


def _write_warning(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    message = str(_params(call).get("message", ""))
    r.warnings.append(message)
    r.verbose.append("verbose: " + message)


def _get_nested(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    inner = PSObject(("Lab.Inner", "System.Object"), {"Depth": 2, "Ratio": 0.5}, "inner")
    props = {
        "Inner": inner,
        "Tags": ["a", "b"],
        "Map": {"k": 1},
        "Blob": b"\x00\x01",
        "Span": datetime.timedelta(minutes=90),
    }
    r.outputs.append(PSObject(("Lab.Outer", "System.Object"), props, "outer"))
    r.outputs.append("plain string")
    r.outputs.append(42)


def _get_many(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    count = int(_params(call).get("count", 1))
    r.outputs.extend("x" * 1000 + str(i) for i in range(count))


def _echo(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    r.outputs.append([(name, value) for name, value in call.parameters])


_Cmdlet = Callable[[FakeBackend, str, CommandCall, threading.Event, InvocationResult], None]
CMDLETS: dict[str, _Cmdlet] = {
    "get-localuser": _get_local_user,
    "new-aduser": _new_ad_user,
    "start-sleep": _start_sleep,
    "write-warning": _write_warning,
    "get-nested": _get_nested,
    "get-many": _get_many,
    "echo-parameters": _echo,
}


def _run(
    b: FakeBackend, host: str, call: CommandCall, stop: threading.Event, r: InvocationResult
) -> None:
    cmdlet = CMDLETS.get(call.name.lower())
    if cmdlet is None or call.is_script:
        r.terminating = ErrorRecord(
            message=(
                f"The term '{call.name}' is not recognized as the name of a cmdlet, function, "
                "script file, or operable program."
            ),
            fully_qualified_error_id="CommandNotFoundException",
            category="ObjectNotFound",
            exception_type="System.Management.Automation.CommandNotFoundException",
            activity="",
            target_name=call.name,
            target_type="String",
            target_object=call.name,
        )
        return
    cmdlet(b, host, call, stop, r)
