"""Real fakes for runner tests: a connector whose transports follow a script, a tiny module."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from orchestrator.commands import Command, CommandResult
from orchestrator.errors import AuthError, ConnectError, RemoteError
from orchestrator.inventory.model import Host
from orchestrator.modules.protocol import Diff, DiffKind, Logic, StepContext, Wait


@dataclass
class Script:
    """What a host's transport does: errors to raise on successive calls, then success."""

    errors: list[Exception] = field(default_factory=list)
    delay: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)
    refuse_value: str | None = None  # a Set to this value fails with a cmdlet error
    set_errors: list[Exception] = field(default_factory=list)  # raised by Set, before it acts
    lost_answers: int = 0  # Sets that act, then lose their answer (a dropped connection)
    down: bool = False  # the host does not answer at all


class FakeTransport:
    """Records commands; raises the scripted errors first."""

    def __init__(self, host: str, script: Script, shared: FakeConnector) -> None:
        self.host = host
        self.script = script
        self.shared = shared

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        with self.shared.concurrent():
            self.shared.calls.append((self.host, command.cmdlet))
            if self.script.delay:
                time.sleep(self.script.delay)
            if self.script.errors:
                raise self.script.errors.pop(0)
        if command.cmdlet == "Set":
            self._set(command)
        return CommandResult(command, (self.script.state.get("value"),))

    def _set(self, command: Command) -> None:
        if self.script.set_errors:
            raise self.script.set_errors.pop(0)
        refused = self.script.refuse_value
        if refused is not None and command.param("Value") == refused:
            raise RemoteError("Set: access denied", fq_error_id="AccessDenied,Fake")
        self.script.state["value"] = command.param("Value")
        self.shared.sets.append(self.host)
        if self.script.lost_answers:
            self.script.lost_answers -= 1
            raise ConnectError(f"{self.host}: connection dropped after the host acted")

    def close(self) -> None:
        """Nothing to close."""


class FakeConnector:
    """One FakeTransport per host; authentication scripted per credential."""

    def __init__(
        self, scripts: dict[str, Script] | None = None, bad: set[str] | None = None
    ) -> None:
        self.scripts = scripts or {}
        self.bad_credentials = bad or set()
        self.calls: list[tuple[str, str]] = []
        self.sets: list[str] = []  # hosts, once per Set that took effect
        self.logons: list[str] = []
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def concurrent(self) -> _Counter:
        return _Counter(self)

    def transport(self, host: Host) -> FakeTransport:
        return FakeTransport(host.name, self.scripts.setdefault(host.name, Script()), self)

    def reachable(self, host: Host) -> None:
        """A host scripted `down` does not answer (no logon is counted)."""
        if self.scripts.get(host.name, Script()).down:
            raise ConnectError(f"{host.name}: connection refused", connected=False)

    def authenticate(self, host: Host) -> None:
        self.logons.append(host.name)
        if host.connection.credential in self.bad_credentials:
            raise AuthError(f"{host.name}: 401")

    def close_all(self) -> None:
        """Nothing to close."""


class _Counter:
    def __init__(self, owner: FakeConnector) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        with self.owner._lock:
            self.owner.running += 1
            self.owner.peak = max(self.owner.peak, self.owner.running)

    def __exit__(self, *_exc: object) -> None:
        with self.owner._lock:
            self.owner.running -= 1


class SetValue:
    """A module that sets `value` to the step's service name: probe Get, apply Set."""

    name = "fake"
    transient_errors = frozenset({"Busy"})

    def __init__(self, wait: float = 0.0) -> None:
        self.wait = wait

    def probe(self, args: Any, ctx: StepContext) -> Logic[Any]:
        result = yield Command.of("Get")
        assert result is not None
        return result.outputs[0]

    def diff(self, args: Any, state: Any) -> Diff:
        if state == args.name:
            return Diff(DiffKind.NONE, "already set", {"value": state})
        return Diff(DiffKind.CHANGE, f"set {args.name}", {"value": state}, {"value": args.name})

    def apply(self, args: Any, state: Any, ctx: StepContext) -> Logic[None]:
        if self.wait:
            yield Wait(self.wait)
        yield Command.of("Set", mutating=True, Value=args.name)

    def undo(self, args: Any, state: Any) -> tuple[Command, ...]:
        return (Command.of("Set", mutating=True, Value=state),)


def modules(module: Any) -> Callable[[str], Any]:
    """A module lookup that answers every name with `module`."""
    return lambda _name: module
