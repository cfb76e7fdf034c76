"""The sans-IO vocabulary: commands sent to a host, what comes back, and who carries them.

A Command is one cmdlet with its parameters, built structurally (never script text), and
marked `mutating` when it changes the host: plan mode forwards only non-mutating commands,
so dry-run safety is a property of the engine rather than of each module. A `Transport` runs
commands on one host; a `Connector` gives each host's transport. Adapters (transport/psrp,
the tests' lab transport) implement them; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from orchestrator.errors import RemoteError
from orchestrator.secrets import Secret

if TYPE_CHECKING:
    from orchestrator.inventory.model import Host


class _Switch:
    """A switch parameter given without a value (`-Force`)."""

    _instance: _Switch | None = None

    def __new__(cls) -> _Switch:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SWITCH"


SWITCH = _Switch()


@dataclass(frozen=True)
class Command:
    """One cmdlet invocation. Secret parameter values are sent as SecureStrings.

    is_script: `cmdlet` holds script text (the powershell module's escape hatch), sent with
    add_script and its parameters bound by name; everything else is a cmdlet name.
    """

    cmdlet: str
    parameters: tuple[tuple[str, Any], ...] = ()
    mutating: bool = False
    is_script: bool = False
    idempotent: bool = False  # changing, but doing it twice does no more than once (an
    # unregister by name that allows "not found", a register with -Force): resent at once

    @classmethod
    def of(cls, cmdlet: str, *, mutating: bool = False, **parameters: Any) -> Command:
        """`Command.of("Get-LocalUser", SID="S-1-...")`; None values are left out."""
        params = tuple((k, v) for k, v in parameters.items() if v is not None)
        return cls(cmdlet, params, mutating)

    def param(self, name: str) -> Any:
        """A parameter's value, or None."""
        return next((v for k, v in self.parameters if k == name), None)

    def describe(self) -> str:
        """The command as PowerShell would show it, with secrets redacted (for logs, plans).

        A script is shown as `<script>`: its text is never logged.
        """
        head = "<script>" if self.is_script else self.cmdlet
        return " ".join([head, *(_describe_param(k, v) for k, v in self.parameters)])


def _describe_param(name: str, value: Any) -> str:
    if value is SWITCH:
        return f"-{name}"
    if isinstance(value, bool):
        return f"-{name}:${str(value).lower()}"
    return f"-{name} {_literal(value)}"


def _literal(value: Any) -> str:
    if isinstance(value, Secret):
        return "(SecureString)"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return ",".join(_literal(v) for v in value) or "@()"
    if value is None:
        return "$null"
    return str(value)


@dataclass(frozen=True)
class ErrorInfo:
    """One error record: identified by its FullyQualifiedErrorId, never by its (localised) text."""

    message: str
    fq_error_id: str
    category: str = ""
    target: str = ""
    exception_type: str = ""
    terminating: bool = False

    @property
    def error_id(self) -> str:
        """The FQEID's first part, e.g. `UserNotFound` of `UserNotFound,Microsoft...`."""
        return self.fq_error_id.split(",", 1)[0]


class RemoteObject(Mapping[str, Any]):
    """An object a cmdlet returned: its properties, type names and ToString text."""

    __slots__ = ("_props", "text", "type_names")

    def __init__(
        self, properties: Mapping[str, Any], type_names: tuple[str, ...] = (), text: str = ""
    ) -> None:
        self._props = dict(properties)
        self.type_names = type_names
        self.text = text

    def __getitem__(self, key: str) -> Any:
        return self._props[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._props)

    def __len__(self) -> int:
        return len(self._props)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        kind = self.type_names[0] if self.type_names else "object"
        return f"RemoteObject({kind}, {self.text!r})"


@dataclass(frozen=True)
class CommandResult:
    """What a command produced: output values, error records, warnings."""

    command: Command
    outputs: tuple[Any, ...] = ()
    errors: tuple[ErrorInfo, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no error record came back (terminating or not)."""
        return not self.errors

    def error(self, *error_ids: str) -> ErrorInfo | None:
        """The first error whose ErrorId is one of `error_ids`, or None."""
        return next((e for e in self.errors if e.error_id in error_ids), None)

    def raise_for_errors(self, *, allow: Collection[str] = ()) -> None:
        """Raise RemoteError for the first error record whose ErrorId is not allowed."""
        name = "<script>" if self.command.is_script else self.command.cmdlet  # never script text
        for error in self.errors:
            if error.error_id not in allow:
                raise RemoteError(
                    f"{name}: {error.message}",
                    fq_error_id=error.fq_error_id,
                    category=error.category,
                    target="" if self.command.is_script else error.target,
                )


class Transport(Protocol):
    """Runs commands on one host. Raises AuthError, ConnectError or OperationTimeout."""

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        """Run one command and return what it produced (cmdlet errors are in the result)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class Connector(Protocol):
    """Gives the transport of each host (one per host, reused by every step).

    Only the fan-out core (engine/fanout.py) calls a connector: it keeps the credential
    breaker and the set of hosts that are out in front of every connection.
    """

    def transport(self, host: Host) -> Transport:
        """The host's transport, created on first use."""
        ...

    def reachable(self, host: Host) -> None:
        """Check the host answers, without a logon (raises ConnectError ...)."""
        ...

    def authenticate(self, host: Host) -> None:
        """Open the host's connection now (raises AuthError, ConnectError ...)."""
        ...

    def close_all(self) -> None:
        """Close every connection."""
        ...
