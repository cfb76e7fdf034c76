"""Runs pipelines of cmdlets: binding, piping objects between commands, and error flow.

A terminating error stops the pipeline (state Failed). Over PSRP the lab answers script text
as a no-language endpoint would (ScriptsNotAllowed), and an unknown command with PowerShell's
CommandNotFoundException. `run_script` gives powershell.exe -Command semantics for scheduled
task actions: statement-terminating errors go on to the next statement, -ErrorAction Stop
ends the script, and the exit code is 1 when the last statement failed
(PowerShell/PowerShell#13501).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from orchestrator.lab.cmdlets.binder import Bound
from orchestrator.lab.cmdlets.errors import (
    CmdletError,
    ErrorKind,
    PipelineStopped,
    command_not_found,
    scripts_not_allowed,
)
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Invocation, Session
from orchestrator.lab.contract import CommandCall, InvocationResult, Statement
from orchestrator.lab.domain.host import Host


class Catalog:
    """The cmdlets that exist, by name; a host sees only its modules' cmdlets."""

    def __init__(self, specs: Iterable[CmdletSpec]) -> None:
        self._specs = {spec.name.lower(): spec for spec in specs}

    def find(self, name: str, host: Host) -> CmdletSpec | None:
        """The cmdlet called `name` if its module is on `host`."""
        spec = self._specs.get(name.lower())
        return spec if spec is not None and spec.module in host.modules else None

    def names(self) -> list[str]:
        """Every cmdlet name."""
        return sorted(spec.name for spec in self._specs.values())


def _prepare(
    catalog: Catalog, session: Session, statement: Statement
) -> list[tuple[CmdletSpec, Bound]]:
    """Resolve and bind every command of a statement before any runs, as PowerShell does."""
    prepared = []
    for index, call in enumerate(statement.commands):
        if call.is_script:
            raise CmdletError(scripts_not_allowed(call.name))
        spec = catalog.find(call.name, session.host)
        if spec is None:
            raise CmdletError(command_not_found(call.name))
        args = spec.binder().bind(call, piped=index > 0)
        spec.check_sets(args, piped=index > 0)
        prepared.append((spec, args))
    return prepared


def _invoke(spec: CmdletSpec, args: Bound, session: Session, sink: InvocationResult) -> list[Any]:
    if session.stop.is_set():
        raise PipelineStopped
    invocation = Invocation(spec, args, session, sink)
    spec.run(invocation)
    return invocation.outputs


def _not_bound(spec: CmdletSpec, item: Any) -> CmdletError:
    return CmdletError(
        spec.identity.record(
            "The input object cannot be bound to any parameters for the command either because "
            "the command does not take pipeline input or the input and its properties do not "
            "match any of the parameters that take pipeline input.",
            ErrorKind(
                "InputObjectNotBound",
                "InvalidArgument",
                "System.Management.Automation.ParameterBindingException",
            ),
            target_object=item,
        )
    )


def _downstream(
    spec: CmdletSpec, args: Bound, items: list[Any], session: Session, sink: InvocationResult
) -> list[Any]:
    param = spec.pipeline_param()
    out: list[Any] = []
    for item in items:
        if param is None or args.has(param.name):
            error = _not_bound(spec, item)
            Invocation(spec, args, session, sink).write_error(error.record)
            continue
        value = spec.binder().convert(param, item)
        out.extend(_invoke(spec, args.with_value(param.name, value), session, sink))
    return out


def _run_statement(
    catalog: Catalog, session: Session, statement: Statement, sink: InvocationResult
) -> None:
    prepared = _prepare(catalog, session, statement)
    items: list[Any] = []
    for index, (spec, args) in enumerate(prepared):
        if index == 0:
            items = _invoke(spec, args, session, sink)
        else:
            items = _downstream(spec, args, items, session, sink)
    sink.outputs.extend(items)


def run_statements(
    catalog: Catalog, session: Session, statements: Sequence[Statement]
) -> InvocationResult:
    """Run a PSRP pipeline: statements in order, stopping at the first terminating error."""
    sink = InvocationResult()
    for statement in statements:
        try:
            _run_statement(catalog, session, statement, sink)
        except CmdletError as exc:
            sink.terminating = exc.record
            break
        except PipelineStopped:
            sink.stopped = True
            break
    return sink


def run_script(catalog: Catalog, session: Session, statements: Sequence[Statement]) -> int:
    """powershell.exe -Command over simple statements; returns the process exit code."""
    last_ok = True
    for statement in statements:
        sink = InvocationResult()
        try:
            _run_statement(catalog, session, statement, sink)
        except CmdletError as exc:
            if exc.escalated:
                return 1
            last_ok = False
            continue
        except PipelineStopped:
            return 1
        last_ok = not sink.errors
    return 0 if last_ok else 1


def single(name: str, *params: tuple[str | None, Any]) -> Statement:
    """A one-command statement (tests and internal callers)."""
    return Statement((CommandCall(name, tuple(params)),))
