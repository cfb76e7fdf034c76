"""wait_for: poll a read-only probe until an expression holds, or fail at the timeout.

wait_for:
  probe: {sms_client_status: {site_code: TB1}}
  until: checked_in_ratio >= 0.98
  interval: 60s
  timeout: 110m

The probe runs once to decide: no change when `until` already holds, else "wait". Apply
polls every `interval` (yielding `Wait`, so the driver decides how to sleep), reports each
poll's values as `Progress`, and fails at `timeout` as measured by `ctx.monotonic`. A wait
changes nothing on the host: its undo is empty and plan mode may skip it (read_only).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import Field, ValidationError, WithJsonSchema, field_validator, model_validator

from orchestrator.commands import Command
from orchestrator.durations import Duration, format_duration
from orchestrator.errors import StepError
from orchestrator.modules.base import ArgsModel, Expression, ModuleSpec
from orchestrator.modules.bound import bound, probed
from orchestrator.modules.probes import PROBES, READERS, chosen_probe, probe_samples
from orchestrator.modules.protocol import (
    Diff,
    DiffKind,
    Logic,
    ModuleTraits,
    Progress,
    StepContext,
    Wait,
)
from orchestrator.templating import Templar, TemplateError, expression_syntax_error
from orchestrator.validation import is_template, suggest
from orchestrator.yamlsource import walk


def _probe_schema() -> dict[str, Any]:
    by_name = {
        name: {"anyOf": [model.model_json_schema(), {"type": "null"}]}
        for name, model in PROBES.items()
    }
    return {
        "anyOf": [
            {"enum": list(PROBES)},
            {
                "type": "object",
                "properties": by_name,
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": False,
            },
        ]
    }


class Args(ArgsModel):
    """Arguments of wait_for."""

    probe: Annotated[dict[str, dict[str, Any]], WithJsonSchema(_probe_schema())] = Field(
        description="one probe and its arguments, e.g. {sms_client_status: {site_code: TB1}}"
    )
    until: str = Field(min_length=1, description="an expression over the probe's values")
    interval: Duration = Field(timedelta(seconds=30))
    timeout: Duration

    @field_validator("probe", mode="before")
    @classmethod
    def _one_known_probe(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {value: {}}
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError("expected one probe, e.g. {sms_client_status: {site_code: TB1}}")
        ((name, args),) = value.items()
        if name not in PROBES:
            hint = suggest(str(name), PROBES)
            raise ValueError(
                f"unknown probe '{name}'"
                + (f"; {hint}" if hint else "")
                + f" (probes: {', '.join(PROBES)})"
            )
        return {name: {} if args is None else args}

    @field_validator("until")
    @classmethod
    def _valid_expression(cls, until: str) -> str:
        problem = expression_syntax_error(until)
        if problem:
            raise ValueError(problem)
        return until

    @field_validator("probe")
    @classmethod
    def _probe_arguments(cls, probe: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        ((name, args),) = probe.items()
        if any(is_template(v) for _, v in walk(args)):
            return probe  # checked again once rendered
        try:
            PROBES[name].model_validate(args)
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or name}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(f"probe {name}: {details}") from None
        return probe

    @model_validator(mode="after")
    def _interval_fits(self) -> Self:
        if self.interval <= timedelta(0) or self.interval > self.timeout:
            raise ValueError("'interval' must be positive and no longer than 'timeout'")
        return self

    @property
    def probe_name(self) -> str:
        """The probe's name."""
        return next(iter(self.probe))


@dataclass(frozen=True)
class WaitState:
    """The probe's values, whether `until` held over them, and `until` as people read it
    (its variables written as their values, `modules.bound`; "" when not known)."""

    values: Mapping[str, Any]
    holds: bool
    until: str = ""

    def shown(self, args: Args) -> str:
        """`until` with its variables' values, else as written."""
        return self.until or args.until


def _poll(args: Args, ctx: StepContext) -> Logic[dict[str, Any]]:
    name = args.probe_name
    probe_args = PROBES[name].model_validate(args.probe[name])
    return (yield from READERS[name](probe_args, ctx))


def _holds(args: Args, ctx: StepContext, values: Mapping[str, Any]) -> bool:
    evaluate = ctx.evaluate or _default_evaluate()
    try:
        return bool(evaluate(args.until, {**ctx.variables, **values}))
    except TemplateError as exc:
        names = ", ".join(values)
        raise StepError(f"until {args.until!r}: {exc} (the probe gives: {names})") from None


def _default_evaluate() -> Callable[[str, Mapping[str, Any]], Any]:
    return Templar().evaluate


SHOWN_STRAGGLERS = 5  # names in a progress line; the rest are counted


def _sms_message(values: Mapping[str, Any]) -> str:
    text = f"{values['checked_in']}/{values['total']} clients checked in"
    if values.get("aware"):
        text += f", {values['aware']} know the account"
    stragglers = list(values.get("stragglers") or ())
    if stragglers:
        shown = ", ".join(stragglers[:SHOWN_STRAGGLERS])
        more = len(stragglers) - SHOWN_STRAGGLERS
        text += f"; waiting for {shown}" + (f" and {more} more" if more > 0 else "")
    return text


_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {"sms_client_status": _sms_message}


def _message(args: Args, values: Mapping[str, Any]) -> str:
    shown = _MESSAGES.get(args.probe_name)
    if shown is not None:
        return shown(values)
    return ", ".join(f"{k}={v}" for k, v in values.items())


class WaitFor(ModuleTraits):
    """The wait_for module."""

    name = "wait_for"
    read_only = True

    def probe(self, args: Args, ctx: StepContext) -> Logic[WaitState]:
        """Poll the probe once and evaluate `until`."""
        values = yield from _poll(args, ctx)
        variables = {k: v for k, v in ctx.variables.items() if k not in values}
        return WaitState(values, _holds(args, ctx, values), bound(args.until, variables))

    def diff(self, args: Args, state: WaitState) -> Diff:
        """Nothing to wait for when `until` holds; else a wait. The summary gives `until` with
        its variables' values and what the probe read: `wait until aware_ratio >= 0.98
        (probed: aware_ratio = 0.4; at most 1h50m)`."""
        until = state.shown(args)
        read = probed(args.until, state.values)
        if state.holds:
            summary = f"{until}: holds already" + (f" (probed: {read})" if read else "")
            return Diff(DiffKind.NONE, summary, dict(state.values))
        at_most = f"at most {format_duration(args.timeout)}"
        summary = f"wait until {until} ({f'probed: {read}; ' if read else ''}{at_most})"
        return Diff(DiffKind.CHANGE, summary, dict(state.values), {"until": until})

    def apply(self, args: Args, state: WaitState, ctx: StepContext) -> Logic[None]:
        """Poll every interval until `until` holds; StepError at the timeout."""
        monotonic = ctx.monotonic or time.monotonic
        deadline = monotonic() + args.timeout.total_seconds()
        values = state.values
        yield Progress(_message(args, values), values)
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise StepError(
                    f"timed out after {format_duration(args.timeout)} waiting until"
                    f" {state.shown(args)} ({_message(args, values)})"
                )
            yield Wait(min(args.interval.total_seconds(), remaining))
            values = yield from _poll(args, ctx)
            yield Progress(_message(args, values), values)
            if _holds(args, ctx, values):
                return

    def undo(self, _args: Args, _state: WaitState) -> tuple[Command, ...] | None:
        """A wait changes nothing."""
        return ()


def _until(args: Mapping[str, Any]) -> tuple[Expression, ...]:
    until = args.get("until")
    if not isinstance(until, str):
        return ()
    return (Expression("until", until, probe_samples(chosen_probe(args))),)


SPEC = ModuleSpec(
    "wait_for",
    Args,
    "poll a probe until an expression holds",
    implementation=WaitFor(),
    expressions=_until,
    registers=lambda args: probe_samples(chosen_probe(args)),
    longest=lambda args: args.timeout,
)
