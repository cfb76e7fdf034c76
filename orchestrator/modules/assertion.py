"""assert: a precondition, checked before anything changes; its failure stops the run.

    - name: Guest can work on the CAPs (a modern Windows blocks it: Q103390's fallback fails)
      hosts: cap_server
      assert:
        registry: {path: 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa',
                   name: LimitBlankPasswordUse}
        that: not exists or value == 0
        msg: "LimitBlankPasswordUse is on: the blank-password Guest cannot log on over the network"

Optionally one probe (as `probe` and `wait_for` read them), then `that:`, an expression over
the probe's values, the playbook's variables and what earlier steps registered. It holds: ok,
nothing changes. It does not: the step fails with `msg`, and since a precondition is not met,
the run stops after the step (an assertion is fatal on any host, unless the step says
`any_errors_fatal: false`). A plan runs it for real (it only reads) and reports a failing
precondition as a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from orchestrator.commands import Command
from orchestrator.errors import StepError
from orchestrator.modules.base import Expression, ModuleSpec
from orchestrator.modules.bound import bound, probed
from orchestrator.modules.probe import ProbeChoice
from orchestrator.modules.probes import chosen_probe, probe_samples
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext
from orchestrator.templating import Templar, TemplateError, expression_syntax_error


class Args(ProbeChoice):
    """Arguments of assert."""

    that: str = Field(min_length=1, description="an expression that must hold")
    msg: str = Field("", description="why it matters, shown when it does not hold")

    @field_validator("that")
    @classmethod
    def _valid_expression(cls, that: str) -> str:
        problem = expression_syntax_error(that)
        if problem:
            raise ValueError(problem)
        return that

    @property
    def probes(self) -> bool:
        """Whether a probe is read first."""
        return bool(self.probes_given())


class Checked:
    """What the probe read, whether `that` held over it, and `that` as people read it (its
    variables written as their values, `modules.bound`; "" when not known)."""

    def __init__(self, values: dict[str, Any], holds: bool, that: str = "") -> None:
        self.values = values
        self.holds = holds
        self.that = that


class Assertion(ModuleTraits):
    """The assert module."""

    name = "assert"
    read_only = True
    assertion = True  # a plan reports a failing one as a refusal; a run stops after it

    def probe(self, args: Args, ctx: StepContext) -> Logic[Checked]:
        """Read the probe (if any) and evaluate `that`."""
        values = dict((yield from args.read(ctx))) if args.probes else {}
        evaluate = ctx.evaluate or Templar().evaluate
        try:
            holds = bool(evaluate(args.that, {**ctx.variables, **values}))
        except TemplateError as exc:
            raise StepError(f"that {args.that!r}: {exc}") from None
        variables = {k: v for k, v in ctx.variables.items() if k not in values}
        return Checked(values, holds, bound(args.that, variables))

    def diff(self, args: Args, state: Checked) -> Diff:
        """Holds: no change. Does not: a failure to come (apply refuses). The summary gives
        `that` with its variables' values and what the probe read."""
        read = probed(args.that, state.values)
        that = (state.that or args.that) + (f" (probed: {read})" if read else "")
        if state.holds:
            return Diff(DiffKind.NONE, f"holds: {that}", state.values)
        return Diff(DiffKind.CHANGE, args.msg or f"does not hold: {that}", state.values)

    def apply(self, args: Args, state: Checked, _ctx: StepContext) -> Logic[None]:
        """A precondition that does not hold fails the step; nothing is sent."""
        if not state.holds:
            raise StepError(f"precondition not met: {args.msg or args.that}")
        return
        yield  # a generator

    def undo(self, _args: Args, _state: Checked) -> tuple[Command, ...] | None:
        """Nothing to undo."""
        return ()


def _that(args: Mapping[str, Any]) -> tuple[Expression, ...]:
    that = args.get("that")
    if not isinstance(that, str):
        return ()
    return (Expression("that", that, probe_samples(chosen_probe(args))),)


SPEC = ModuleSpec(
    "assert",
    Args,
    "a precondition (an expression over a probe's values); the run stops if it fails",
    implementation=Assertion(),
    expressions=_that,
    registers=lambda args: probe_samples(chosen_probe(args)),
)
