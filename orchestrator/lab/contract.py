"""The values and the one interface shared by the lab's protocol side and its domain side.

The protocol side decodes a PSRP CREATE_PIPELINE into `Statement`s, calls
`LabBackend.invoke`, and encodes the `InvocationResult` back into PSRP messages
(PIPELINE_OUTPUT, ERROR_RECORD, PIPELINE_STATE). It also asks the backend to authenticate
every HTTP logon so that the domain's lockout policy applies to WinRM, as on Windows.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class SecureString:
    """A value that arrived as a PSRP <SS> (decrypted by the session key), e.g. -AccountPassword.

    Cmdlets that declare a SecureString parameter accept only this type, as PowerShell's
    parameter binder does; its repr never shows the value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The clear text, for the domain model only."""
        return self._value

    def __repr__(self) -> str:
        return "SecureString(****)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecureString) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecureString", len(self._value)))


@dataclass(frozen=True)
class PSObject:
    """An output object: what a cmdlet writes to the pipeline.

    type_names: most specific first, as PowerShell's TypeNames, e.g.
        ("Microsoft.PowerShell.Commands.LocalUser", "Microsoft.PowerShell.Commands.LocalPrincipal",
         "System.Object"). The protocol side prefixes "Deserialized." where Windows does.
    properties: adapted properties in display order. Values are str, int, bool, float, None,
        datetime (aware), timedelta, bytes, enum.Enum (serialized as its value with the enum's
        type name), list/tuple, dict, or nested PSObject.
    to_string: the object's ToString(), e.g. the user name for a LocalUser.
    """

    type_names: tuple[str, ...]
    properties: Mapping[str, Any]
    to_string: str = ""


@dataclass(frozen=True)
class ErrorRecord:
    """A PowerShell ErrorRecord, with the exact identity Windows gives ([MS-PSRP] 2.2.3.15).

    fully_qualified_error_id: e.g. "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand".
    category: the ErrorCategory name, e.g. "ObjectNotFound".
    exception_type: full .NET type name, e.g. "Microsoft.PowerShell.Commands.UserNotFoundException".
    activity: the cmdlet name shown in CategoryInfo, e.g. "Get-LocalUser".
    target_name / target_type: CategoryInfo's (TargetName:TargetType), e.g. ("Guest2", "String").
    """

    message: str
    fully_qualified_error_id: str
    category: str
    exception_type: str
    activity: str
    target_name: str = ""
    target_type: str = ""
    target_object: Any = None


@dataclass(frozen=True)
class CommandCall:
    """One command of a statement: a cmdlet name and its parameters in the order they were sent.

    A parameter with name None is positional. A switch sent without a value (pypsrp
    `add_parameter("Force")`) arrives with value None; `-Confirm:$false` arrives as False.
    """

    name: str
    parameters: tuple[tuple[str | None, Any], ...] = ()
    is_script: bool = False  # add_script text: the lab runs simple statements only


@dataclass(frozen=True)
class Statement:
    """Commands piped into each other (`a | b`); a pipeline has one or more statements."""

    commands: tuple[CommandCall, ...]


@dataclass
class InvocationResult:
    """What one pipeline produced.

    errors: non-terminating error records (written to the error stream; state Completed).
    terminating: the record that stopped the pipeline (state Failed), if any.
    stopped: the pipeline was stopped by a Signal (ctrl_c / terminate); state Stopped.
    exit_code: script text ran `exit N`: the server asks the client's host to SetShouldExit(N)
        (a PIPELINE_HOST_CALL, [MS-PSRP] 2.2.2.29), where Ansible's psrp connection reads the rc.
    """

    outputs: list[Any] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verbose: list[str] = field(default_factory=list)
    terminating: ErrorRecord | None = None
    stopped: bool = False
    exit_code: int | None = None


class AuthOutcome(enum.Enum):
    """The outcome of one logon attempt, as the domain decides it ([MS-SAMR] 3.1.5.14.6)."""

    OK = "ok"
    BAD_PASSWORD = "bad_password"  # noqa: S105 -- an outcome name, not a password
    LOCKED = "locked"
    DISABLED = "disabled"
    NO_SUCH_USER = "no_such_user"


@dataclass(frozen=True)
class Account:
    """An account that may log on to a host over WinRM, for the NTLM acceptor's credential list."""

    domain: str  # NetBIOS domain or the host's computer name for local accounts
    username: str
    password: str = field(repr=False)  # never in a repr, log or traceback


class LabBackend(Protocol):
    """What the protocol side needs from the simulated domain."""

    def host_names(self) -> Sequence[str]:
        """Every simulated host, in a stable order."""
        ...

    def host_is_up(self, host: str) -> bool:
        """False while the host is down (fault injection): its endpoint refuses connections."""
        ...

    def accounts(self, host: str) -> Sequence[Account]:
        """Accounts whose current passwords an NTLM acceptor for `host` may check against."""
        ...

    def authenticate(self, host: str, username: str, password: str) -> AuthOutcome:
        """Check a clear-text logon (Basic) and apply the lockout policy to the account."""
        ...

    def record_logon(self, host: str, username: str, *, password_ok: bool) -> AuthOutcome:
        """Apply the lockout policy to a logon whose password was checked elsewhere (NTLM).

        A locked or disabled account yields LOCKED/DISABLED even when password_ok is True.
        """
        ...

    def invoke(
        self,
        host: str,
        user: str,
        statements: Sequence[Statement],
        stop: threading.Event,
    ) -> InvocationResult:
        """Run one pipeline on `host` as `user`. Long cmdlets poll `stop` and return stopped."""
        ...
