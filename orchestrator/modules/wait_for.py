"""wait_for: poll a read-only probe until an expression holds, or fail at the timeout.

wait_for:
  probe: {sms_client_status: {site_code: TB1}}
  until: checked_in_ratio >= 0.98
  interval: 60s
  timeout: 110m
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import Field, ValidationError, WithJsonSchema, field_validator, model_validator

from orchestrator.durations import Duration
from orchestrator.modules.base import ArgsModel, ModuleSpec
from orchestrator.modules.probes import PROBES
from orchestrator.playbook.templating import expression_syntax_error
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


SPEC = ModuleSpec("wait_for", Args, "poll a probe until an expression holds")
