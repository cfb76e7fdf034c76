"""One step on one host: `when`, retries, the module's logic, and what the result means.

Hosts are reached only through the fan-out (fanout.py), which keeps the breaker in front of
every command and the one record of the hosts that are out: a host whose step failed (not
ignored) or that could not be reached leaves it here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.commands import Command
from orchestrator.deadline import Deadline, earliest
from orchestrator.engine import events as ev
from orchestrator.engine.facts import Facts, registered_value
from orchestrator.engine.fanout import Fanout, OutKind
from orchestrator.engine.retry import reprobing, retrying
from orchestrator.engine.step import Resend, Status, StepOutcome, Tried, drive, execute
from orchestrator.engine.window import Guard, guarded_execute
from orchestrator.errors import (
    AuthError,
    ConnectError,
    NotContactedError,
    OrchestratorError,
    RemoteError,
)
from orchestrator.inventory.model import Host
from orchestrator.modules import MODULES, ArgsModel
from orchestrator.modules.protocol import Diff, DiffKind, Module, Progress, StepContext
from orchestrator.playbook.binding import Binding
from orchestrator.playbook.model import Step
from orchestrator.templating import Templar, TemplateError

Recorder = Callable[[Step, Host, StepOutcome, bool], None]  # bool: a failure ignored
ModuleLookup = Callable[[str], Module[Any, Any]]


def module_for(name: str) -> Module[Any, Any]:
    """The implementation of a shipped module, by name."""
    implementation: Module[Any, Any] | None = getattr(MODULES[name], "implementation", None)
    if implementation is None:
        raise OrchestratorError(f"module {name!r} cannot run yet")
    return implementation


@dataclass
class _Attempt:
    """How many times the step was tried on the host, and what an attempt may have changed."""

    count: int = 0
    tried: Tried = field(default_factory=list)


@dataclass
class HostStepRunner:
    """Runs one step on one host and reports it; shared by the fan-out's worker threads."""

    binding: Binding
    fanout: Fanout
    templar: Templar
    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    record: Recorder
    modules: ModuleLookup = module_for
    facts: Facts = field(default_factory=Facts)

    @property
    def bus(self) -> ev.EventBus:
        """Where the step's events go (the fan-out's, which the command chose)."""
        return self.fanout.events

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
        rejection = self.fanout.rejection(host)
        if rejection is not None:
            self._finish(step, host, Status.FAILED, error=rejection.explain(), attempts=0)
            return
        attempt = _Attempt()
        try:
            if not self._when(step, self.variables(host)):
                self._finish(step, host, Status.SKIPPED, summary="when: condition is false")
                return
            outcome = self._run_module(step, host, guard, cap, attempt)
        except NotContactedError as exc:
            self._finish(step, host, Status.FAILED, error=str(exc), attempts=attempt.count)
        except AuthError as exc:
            message = self.fanout.refusal(host, exc.reason)
            self._finish(step, host, Status.FAILED, error=message, attempts=attempt.count)
        except ConnectError as exc:
            self._finish(step, host, Status.UNREACHABLE, error=str(exc), attempts=attempt.count)
        except (OrchestratorError, TemplateError) as exc:
            self._failed(step, host, exc, attempt.count)
        else:
            self._finish(step, host, outcome.status, outcome=outcome, attempts=attempt.count)

    def lost(self, step: Step, host: Host, error: OrchestratorError) -> None:
        """The host could not be worked on before the step (a window's clock reading): it
        leaves the run, and the step says why."""
        if isinstance(error, AuthError) and not isinstance(error, NotContactedError):
            message = self.fanout.refusal(host, error.reason)
            self._finish(step, host, Status.FAILED, error=message, attempts=0)
        elif isinstance(error, ConnectError):
            self._finish(step, host, Status.UNREACHABLE, error=str(error), attempts=0)
        else:
            self._failed(step, host, error, 0)

    def already_done(self, step: Step, host: Host) -> None:
        """A step this run finished on the host before it was interrupted (resume)."""
        self._finish(step, host, Status.OK, summary="done earlier in this run: not repeated")

    def variables(self, host: Host) -> dict[str, Any]:
        """What a host's templates and expressions see now: its variables and what earlier
        steps registered."""
        return {**self.binding.variables.get(host.name, {}), **self.facts.for_host(host.name)}

    def _when(self, step: Step, variables: Mapping[str, Any]) -> bool:
        if step.when is None or isinstance(step.when, bool):
            return step.when is not False
        return bool(self.templar.evaluate(step.when, variables))

    def _run_module(
        self,
        step: Step,
        host: Host,
        guard: Guard | None,
        cap: Deadline | None,
        attempt: _Attempt,
    ) -> StepOutcome:
        module = self.modules(step.module)
        args = self._args(step, host)
        deadline = earliest(self._deadline(step), cap)

        def once() -> StepOutcome:
            attempt.count += 1
            self.bus.emit(ev.HostStepStarted(step.name, host.name, attempt.count))
            ctx = self._context(host)
            logic = (
                guarded_execute(
                    module, args, ctx, step=step.name, module_name=step.module, guard=guard,
                    tried=attempt.tried,
                )
                if guard is not None
                else execute(module, args, ctx, tried=attempt.tried)
            )  # fmt: skip
            return drive(
                logic,
                self.fanout.transport(host),
                sleep=self.sleep,
                on_progress=lambda p: self._progress(step, host, p),
                deadline=deadline,
                on_resend=self._resent_on(step, host),
            )

        def told(n: int, delay: float, error: BaseException) -> None:
            del n  # each tenacity layer counts its own tries; attempt.count is the step's
            self.bus.emit(ev.Retrying(step.name, host.name, attempt.count, delay, str(error)))

        def reprobed() -> StepOutcome:
            result: StepOutcome = reprobing(sleep=self.sleep, before_sleep=told)(once)
            return result

        controller = retrying(
            step.retry,
            getattr(module, "transient_errors", frozenset()),
            sleep=self.sleep,
            before_sleep=told,
        )
        outcome: StepOutcome = controller(reprobed)
        return outcome

    def _args(self, step: Step, host: Host) -> ArgsModel:
        """The step's arguments: bound before the run, or rendered now from registered facts."""
        if step.name in self.binding.late:
            return self.binding.render_late(step, host, self.facts.for_host(host.name))
        args = self.binding.args_of(step, host)
        if args is None:
            raise OrchestratorError(f"step {step.name!r} has no arguments for {host.name}")
        return args

    def _context(self, host: Host) -> StepContext:
        return StepContext(
            host.name,
            self.variables(host),
            self.templar.evaluate,
            self.monotonic,
            left_run=self.fanout.left,
        )

    def _deadline(self, step: Step) -> Deadline | None:
        if step.timeout is None:
            return None
        return Deadline.after(step.timeout.total_seconds(), clock=self.monotonic)

    def _progress(self, step: Step, host: Host, progress: Progress) -> None:
        self.bus.emit(ev.StepProgress(step.name, host.name, progress.message, progress.values))

    def _resent_on(self, step: Step, host: Host) -> Resend:
        """Each command sent again at once, as a Retrying event naming the command."""

        def resent(command: Command, attempt: int, delay: float, error: BaseException) -> None:
            name = "<script>" if command.is_script else command.cmdlet  # never a script's text
            event = ev.Retrying(step.name, host.name, attempt, delay, str(error), command=name)
            self.bus.emit(event)

        return resent

    # -- reporting -----------------------------------------------------------------------------

    def _failed(self, step: Step, host: Host, error: BaseException, attempts: int) -> None:
        error_id = error.fq_error_id if isinstance(error, RemoteError) else ""
        self._finish(
            step, host, Status.FAILED, error=str(error), error_id=error_id, attempts=attempts
        )

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
        if status is Status.UNREACHABLE:
            self.fanout.take_out(host, OutKind.UNREACHABLE, error)
        elif status is Status.FAILED and not ignored:
            self.fanout.take_out(host, OutKind.FAILED, f"'{step.name}': {error}")
        self.record(step, host, outcome, ignored)
        if step.register_as:
            shared = len(self.binding.targets(step)) == 1
            value = registered_value(status, outcome)
            self.facts.record(step.register_as, host.name, value, shared=shared)
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
