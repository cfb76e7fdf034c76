"""One step on one host: `when`, retries, the module's logic, and what the result means."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.commands import Connector
from orchestrator.engine import events as ev
from orchestrator.engine.breaker import CredentialBreaker, Rejection
from orchestrator.engine.retry import retrying
from orchestrator.engine.step import Deadline, Status, StepOutcome, drive, earliest, execute
from orchestrator.engine.window import Guard, guarded_execute
from orchestrator.errors import AuthError, ConnectError, OrchestratorError, RemoteError
from orchestrator.inventory.model import Host
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import Diff, DiffKind, Module, Progress, StepContext
from orchestrator.playbook.binding import Binding
from orchestrator.playbook.model import Step
from orchestrator.templating import Templar, TemplateError

CONNECT_STEP = "(connect)"
Recorder = Callable[[Step, Host, StepOutcome, bool], None]


@dataclass
class HostStepRunner:
    """Runs one step on one host and reports it; shared by the runner's worker threads."""

    binding: Binding
    connector: Connector
    bus: ev.EventBus
    breaker: CredentialBreaker
    templar: Templar
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    record: Recorder
    usernames: Mapping[str, str] | None = None
    modules: Callable[[str], Module[Any, Any]] | None = None  # tests inject fakes

    def __post_init__(self) -> None:
        self._out: set[str] = set()
        self._lock = threading.Lock()

    def run(
        self,
        step: Step,
        host: Host,
        guard: Guard | None = None,
        cap: Deadline | None = None,
    ) -> None:
        """Run the step on the host, whatever happens, and report the result.

        guard: the window's journal/failsafe around the change, for steps inside a window.
        cap: when forward work must stop at the latest (a window's revert budget).
        """
        rejection = self.breaker.rejection(host.connection.credential)
        if rejection is not None:
            self._finish(step, host, Status.FAILED, error=rejection.explain())
            return
        variables = self.binding.variables.get(host.name, {})
        try:
            if not self._when(step, variables):
                self._finish(step, host, Status.SKIPPED, summary="when: condition is false")
                return
            self._run_module(step, host, variables, guard, cap)
        except AuthError:
            self.reject(host, step)
        except ConnectError as exc:
            self._finish(step, host, Status.UNREACHABLE, error=str(exc))
        except (OrchestratorError, TemplateError) as exc:
            self._finish(step, host, Status.FAILED, error=str(exc), error_id=_error_id(exc))

    def already_done(self, step: Step, host: Host) -> None:
        """A step this run finished on the host before it was interrupted (resume)."""
        self._finish(step, host, Status.OK, summary="done earlier in this run: not repeated")

    def _when(self, step: Step, variables: Mapping[str, Any]) -> bool:
        if step.when is None or isinstance(step.when, bool):
            return step.when is not False
        return bool(self.templar.evaluate(step.when, variables))

    def _run_module(
        self,
        step: Step,
        host: Host,
        variables: Mapping[str, Any],
        guard: Guard | None,
        cap: Deadline | None,
    ) -> None:
        module = (self.modules or module_for)(step.module)
        args = self.binding.args_of(step, host)
        if args is None:
            raise OrchestratorError(f"step {step.name!r} has no arguments for {host.name}")
        attempts = [0]

        def attempt() -> StepOutcome:
            attempts[0] += 1
            self.bus.emit(ev.HostStepStarted(step.name, host.name, attempts[0]))
            ctx = self._context(host, variables)
            logic = (
                guarded_execute(
                    module, args, ctx, step=step.name, module_name=step.module, guard=guard
                )
                if guard is not None
                else execute(module, args, ctx)
            )
            return drive(
                logic,
                self.connector.transport(host),
                sleep=self.sleep,
                on_progress=lambda p: self._progress(step, host, p),
                deadline=earliest(self._deadline(step), cap),
            )

        controller = retrying(
            step.retry,
            getattr(module, "transient_errors", frozenset()),
            sleep=self.sleep,
            before_sleep=lambda n, delay, error: self.bus.emit(
                ev.Retrying(step.name, host.name, n, delay, str(error))
            ),
        )
        outcome = controller(attempt)
        self._finish(step, host, outcome.status, outcome=outcome, attempts=attempts[0])

    def _context(self, host: Host, variables: Mapping[str, Any]) -> StepContext:
        return StepContext(host.name, variables, self.templar.evaluate, self.monotonic)

    def _deadline(self, step: Step) -> Deadline | None:
        if step.timeout is None:
            return None
        return Deadline(self.monotonic() + step.timeout.total_seconds(), self.monotonic)

    def _progress(self, step: Step, host: Host, progress: Progress) -> None:
        self.bus.emit(ev.StepProgress(step.name, host.name, progress.message, progress.values))

    # -- failures that take a host out ---------------------------------------------------------

    def reject(self, host: Host, step: Step | None = None) -> None:
        """A 401 on `host`: trip the breaker for its credential and report it."""
        credential = host.connection.credential or "(none)"
        username = (self.usernames or {}).get(credential, "")
        rejection = Rejection(credential, username, host.name)
        if self.breaker.trip(rejection):
            self.bus.emit(ev.CredentialRejected(credential, username, host.name))
        message = f"authentication failed: credential '{credential}' was rejected (HTTP 401)"
        self._take_out(host, step, Status.FAILED, message)

    def unreachable_at_preflight(self, host: Host, error: ConnectError) -> None:
        """The host could not be reached when its credential was tried."""
        self._take_out(host, None, Status.UNREACHABLE, str(error))

    def is_out(self, host: Host) -> bool:
        """True when the host left the run before its steps (unreachable, rejected)."""
        with self._lock:
            return host.name in self._out

    def _take_out(self, host: Host, step: Step | None, status: Status, error: str) -> None:
        with self._lock:
            self._out.add(host.name)
        if step is not None:
            self._finish(step, host, status, error=error)
        else:
            self.bus.emit(ev.HostStepFinished(CONNECT_STEP, host.name, status, error=error))

    # -- reporting -----------------------------------------------------------------------------

    def _finish(
        self,
        step: Step,
        host: Host,
        status: Status,
        *,
        outcome: StepOutcome | None = None,
        summary: str = "",
        error: str = "",
        error_id: str = "",
        attempts: int = 1,
    ) -> None:
        ignored = status is Status.FAILED and step.ignore_errors
        outcome = outcome or StepOutcome(status, Diff(DiffKind.UNKNOWN, summary or error))
        self.record(step, host, outcome, ignored)
        self.bus.emit(
            ev.HostStepFinished(
                step.name,
                host.name,
                status,
                summary=outcome.diff.summary,
                before=outcome.diff.before,
                after=outcome.diff.after,
                error=error,
                error_id=error_id,
                attempts=attempts,
                ignored=ignored,
            )
        )


def module_for(name: str) -> Module[Any, Any]:
    """The implementation of a module, by name."""
    implementation: Module[Any, Any] | None = getattr(MODULES[name], "implementation", None)
    if implementation is None:
        raise OrchestratorError(f"module {name!r} cannot run yet")
    return implementation


def _error_id(error: BaseException) -> str:
    return error.fq_error_id if isinstance(error, RemoteError) else ""
