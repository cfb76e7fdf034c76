"""Runs pipelines of cmdlets: binding, piping objects between commands, and error flow.

A terminating error stops a pipeline of commands (state Failed); an unknown command is
PowerShell's CommandNotFoundException. Script text (`add_script`) runs when it is made of simple
statements (script_text.py), as a script does: a statement-terminating error is written to the
error stream and the next statement runs, -ErrorAction Stop ends the script (state Failed), and
`exit N` ends it with exit code N (about_Language_Keywords, Exit). Script text outside the
subset fails to parse, naming the construct (ScriptsNotAllowed). `run_script` gives
powershell.exe -Command semantics for scheduled task actions: the same flow, and the exit code
is 1 when the last statement failed (PowerShell/PowerShell#13501).
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
    unsupported_script,
)
from orchestrator.lab.cmdlets.params import Kind
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Invocation, Session
from orchestrator.lab.cmdlets.script_text import Exit, Step, UnsupportedScriptError, parse
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

    def is_switch(self, host: Host, command: str, param: str) -> bool:
        """Whether `-param` of `command` on `host` names a switch (so takes no value)."""
        spec = self.find(command, host)
        if spec is None:
            return False
        lowered = param.lower()
        matches = [
            p for p in spec.binder().params if any(n.lower().startswith(lowered) for n in p.names())
        ]
        return len(matches) == 1 and matches[0].kind is Kind.SWITCH


def _prepare(
    catalog: Catalog, session: Session, statement: Statement
) -> list[tuple[CmdletSpec, Bound]]:
    """Resolve and bind every command of a statement before any runs, as PowerShell does."""
    prepared = []
    for index, call in enumerate(statement.commands):
        if call.is_script:
            raise CmdletError(unsupported_script("script text piped into commands", 1, 1))
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
            if _script_call(statement) is not None:
                if not _run_text(catalog, session, statement, sink):
                    break
                continue
            _run_statement(catalog, session, statement, sink)
        except CmdletError as exc:
            sink.terminating = exc.record
            break
        except PipelineStopped:
            sink.stopped = True
            break
    return sink


def _script_call(statement: Statement) -> CommandCall | None:
    calls = statement.commands
    return calls[0] if len(calls) == 1 and calls[0].is_script else None


def _run_text(
    catalog: Catalog, session: Session, statement: Statement, sink: InvocationResult
) -> bool:
    """Run one statement of script text into `sink`; False when the pipeline ends with it."""
    call = statement.commands[0]
    if call.parameters:
        raise CmdletError(unsupported_script("parameters passed to script text (param())", 1, 1))
    try:
        steps = parse(call.name, lambda command, p: catalog.is_switch(session.host, command, p))
    except UnsupportedScriptError as exc:
        raise CmdletError(
            unsupported_script(exc.construct, exc.line, exc.column, exc.token)
        ) from None
    return _run_steps(catalog, session, steps, sink)


def _run_steps(
    catalog: Catalog, session: Session, steps: Sequence[Step], sink: InvocationResult
) -> bool:
    for step in steps:
        if isinstance(step, Exit):
            sink.exit_code = step.code
            return False
        try:
            _run_statement(catalog, session, step, sink)
        except CmdletError as exc:
            if exc.escalated:
                raise
            sink.errors.append(exc.record)  # statement-terminating: the script goes on
    return True


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
