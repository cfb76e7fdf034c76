"""One exception hierarchy for the whole tool.

    OrchestratorError
      InputError          playbook, inventory, CLI or vars: carries Problems (file:line:col, field)
      TransportError      talking to a host failed
        AuthError           401 or locked out: NEVER retried (retries lock accounts out)
          NotContactedError   its credential was rejected on another host: not even tried
        ConnectError        refused, DNS, TLS, 503: retried
        OperationTimeout    no answer in time: retried
        ServerError         HTTP 500/502/504 from the endpoint: retried (the step probes again
                            first, so a change is never made twice)
      RemoteError         a cmdlet's error record; retried only when the module says it is transient
      StepError           a step's own check failed: an unexpected exit code, a wait that timed
                          out, a state the module cannot reach; never retried
      WindowError         a rollback window's deadline passed or its undo failed
      RefusedError        refused before changing anything: lock held, stale plan or resume
      RunInterruptedError Ctrl-C or SIGTERM: forward work stops, open windows revert

Third-party exceptions are translated into these at the boundary (`raise ... from exc`), so
callers never catch pypsrp, requests or pydantic types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """Where a value sits in a source file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, precise enough to fix without reading the code.

    field: the dotted path of the value, e.g. ``steps[2].local_user.enabled``.
    message: what was expected and what was found.
    hint: what to do, e.g. "did you mean 'local_user'?".
    """

    location: Location | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.field}: " if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{what}{self.message}{hint}"


class OrchestratorError(Exception):
    """Base of every error this tool raises on purpose."""


class InputError(OrchestratorError):
    """Bad input: one or more problems, all reported together. Exit code 2."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__(self.render())

    @classmethod
    def single(
        cls, message: str, *, location: Location | None = None, field: str = "", hint: str = ""
    ) -> InputError:
        """An InputError with exactly one problem."""
        return cls([Problem(location, field, message, hint)])

    def render(self) -> str:
        """All problems, one per line, in file order."""
        ordered = sorted(self.problems, key=_problem_sort_key)
        return "\n".join(str(p) for p in ordered)


def _problem_sort_key(problem: Problem) -> tuple[str, int, int, str]:
    loc = problem.location or Location("")
    return (loc.file, loc.line, loc.column, problem.field)


def merge_input_errors(errors: Sequence[InputError]) -> InputError:
    """One InputError holding the problems of several, so they are reported together."""
    return InputError(p for e in errors for p in e.problems)


@dataclass(frozen=True)
class Where:
    """The host and step an execution error belongs to."""

    host: str = ""
    step: str = ""
    attempt: int = 0


class TransportError(OrchestratorError):
    """Talking to a host failed.

    may_have_run: False when the failure came before the command could reach the host (its
    connection or pool could not be opened), so sending it again cannot do anything twice.
    connected: False when no connection could be made at all (refused, DNS, connect timeout):
    the host is down or cut off, and sending again at once would only wait again.
    changing: set by the engine when the failed command changes something (`mutating`).
    """

    def __init__(
        self,
        message: str,
        *,
        where: Where | None = None,
        may_have_run: bool = True,
        connected: bool = True,
    ) -> None:
        super().__init__(message)
        self.where = where or Where()
        self.may_have_run = may_have_run
        self.connected = connected
        self.changing = False


class TransientError(TransportError):
    """A transport failure that a retry may cure."""


class AuthError(TransportError):
    """The credential was rejected (bad password, locked out or disabled: over NTLM WinRM
    cannot tell; over Kerberos the KDC says which)."""

    reason: str = "HTTP 401"  # why, as reports show it: "rejected (<reason>)"


class NotContactedError(AuthError):
    """The host was not contacted: its credential was rejected already in this command (one
    failed logon per credential, never more: retries are how accounts get locked out)."""


class ConnectError(TransientError):
    """The host could not be reached: refused, DNS, TLS."""


class ServerError(TransientError):
    """The WinRM endpoint answered with a server error (HTTP 500, 502, 504)."""


class OperationTimeout(TransientError):  # noqa: N818 -- the name DESIGN.md gives it
    """The host did not answer in time."""


class RemoteError(OrchestratorError):
    """A cmdlet's error record, identified by its FullyQualifiedErrorId (never by message)."""

    def __init__(
        self,
        message: str,
        *,
        fq_error_id: str,
        category: str = "",
        target: str = "",
        where: Where | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fq_error_id = fq_error_id
        self.category = category
        self.target = target
        self.where = where or Where()


class StepError(OrchestratorError):
    """A step's own check failed (no cmdlet error): an exit code not expected, a wait_for
    timeout, a wanted state the module cannot reach. The message says what and why."""

    def __init__(self, message: str, *, where: Where | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where or Where()


class WindowError(OrchestratorError):
    """A rollback window's deadline passed or its undo failed."""


class RunInterruptedError(OrchestratorError):
    """The run was asked to stop (Ctrl-C, SIGTERM): no new work, open windows revert."""


class RefusedError(OrchestratorError):
    """Refused before changing anything: the files of a run changed, a plan is stale. Exit 4."""
