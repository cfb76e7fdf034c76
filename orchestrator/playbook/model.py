"""The playbook model: what a loaded, validated playbook is. Frozen values, no I/O.

A playbook is a list of steps and windows. A step runs one module on the hosts its `hosts:`
pattern selects; a window groups steps whose changes are undone by a deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, field_validator

from orchestrator.durations import Duration
from orchestrator.errors import Location
from orchestrator.inventory.patterns import parse_pattern
from orchestrator.secrets import SecretRef, SecretSource
from orchestrator.templating import expression_syntax_error
from orchestrator.yamlsource import NodePath, SourceMap

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"

VarType = Literal["str", "int", "float", "bool", "list", "dict", "duration"]
"""A variable's declared type (`var_types:`): what an `-e` override must be."""
RESERVED_NAMES = frozenset(
    {
        "secrets",
        "inventory_hostname",
        "group_names",
        "groups",
        "roles",
        "targets",
        "now",
        "ago",
        "item",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetryPolicy(_Frozen):
    """How a step retries transient failures (never authentication failures)."""

    attempts: int = Field(3, ge=1, le=50, description="total tries, the first included")
    delay: Duration = Field(timedelta(seconds=5), description="wait before the first retry")
    backoff: float = Field(2.0, ge=1.0, le=10.0, description="each wait is this times the last")
    max_delay: Duration = Field(timedelta(minutes=5), description="no wait is longer")
    jitter: Duration = Field(timedelta(0), description="up to this much is added at random")


class StepFields(_Frozen):
    """The keys of a step apart from its one module key."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    hosts: str = Field(
        min_length=1, description="the hosts: a role, group, host or glob; [0] picks one"
    )
    when: str | bool | None = Field(None, description="an expression; the step is skipped if false")
    retry: RetryPolicy | None = None
    timeout: Duration | None = Field(None, description="per host, per attempt")
    ignore_errors: bool = False
    irreversible: bool = Field(False, description="acknowledges a change that cannot be undone")
    register_as: str | None = Field(
        None,
        alias="register",  # `register` is a BaseModel attribute; the YAML key is `register`
        pattern=IDENTIFIER,
        description="keep what the step read (its values, changed, failed, skipped, after)"
        " under this name for the when:, until:/that: and arguments of later steps",
    )
    needs: tuple[str, ...] = Field(
        (),
        description="earlier steps (by name) that must not have failed on any host: otherwise"
        " the run stops before this step",
    )
    any_errors_fatal: bool | None = Field(
        None,
        description="a failure on any of its hosts stops the run after this step (default:"
        " true when the step targets exactly one host, a prerequisite)",
    )

    @field_validator("hosts")
    @classmethod
    def _pattern_syntax(cls, hosts: str) -> str:
        parse_pattern(hosts)  # raises ValueError with the reason
        return hosts

    @field_validator("when")
    @classmethod
    def _expression_syntax(cls, when: str | bool | None) -> str | bool | None:
        if isinstance(when, str):
            problem = expression_syntax_error(when)
            if problem:
                raise ValueError(problem)
        return when


class Step(StepFields):
    """A validated step: its fields, its module and the module's (unrendered) arguments."""

    module: str
    args: dict[str, Any]
    path: NodePath = Field(description="where the step sits in the playbook document")
    location: Location
    window: str | None = None


WindowName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$", max_length=64)]


class WindowFields(_Frozen):
    """The keys of a `window:` block."""

    name: WindowName
    deadline: Duration = Field(description="everything in the window is undone by then")
    failsafe: Literal["target", "none"] = Field(
        "target", description="target: a scheduled task on each host undoes it if we cannot"
    )
    steps: list[Any] = Field(min_length=1)

    @field_validator("deadline")
    @classmethod
    def _reasonable(cls, deadline: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= deadline <= timedelta(days=7):
            raise ValueError("a window's deadline must be between 1s and 7d")
        return deadline


class Window(_Frozen):
    """A timed rollback window: its steps' changes are undone by the deadline."""

    name: str
    deadline: timedelta
    failsafe: Literal["target", "none"]
    steps: tuple[Step, ...]
    path: NodePath
    location: Location


def _serial(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("%"):
        number = value[:-1]
        if number.isdigit() and 1 <= int(number) <= 100:
            return value
        raise ValueError(f"expected a percentage from 1% to 100%, found {value!r}")
    return value


class PlaybookFields(_Frozen):
    """The top-level keys of a playbook."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    vars: dict[Annotated[str, Field(pattern=IDENTIFIER)], Any] = Field(default_factory=dict)
    secrets: dict[Annotated[str, Field(pattern=IDENTIFIER)], SecretRef] = Field(
        default_factory=dict
    )
    var_types: dict[Annotated[str, Field(pattern=IDENTIFIER)], VarType] = Field(
        default_factory=dict,
        description="declared variable types, which -e values must match (without one, a"
        " variable's type is its default's)",
    )
    serial: int | str | None = Field(None, description="hosts per batch: a number or a percent")
    max_fail_percentage: float | None = Field(None, ge=0, le=100)
    forks: int | None = Field(None, ge=1, le=1000, description="hosts worked on at once")
    steps: list[Any] = Field(min_length=1)

    @field_validator("serial", mode="before")
    @classmethod
    def _serial_form(cls, value: Any) -> Any:
        return _serial(value)

    @field_validator("serial")
    @classmethod
    def _serial_positive(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value < 1:
            raise ValueError("serial must be at least 1")
        if isinstance(value, str) and not value.endswith("%"):
            raise ValueError(f"expected a number or a percentage such as 30%, found {value!r}")
        return value


class Playbook(_Frozen):
    """A loaded playbook. `items` are its steps and windows in order."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str
    description: str
    vars: dict[str, Any]
    secrets: dict[str, SecretSource]
    var_types: dict[str, VarType] = Field(default_factory=dict)
    serial: int | str | None
    max_fail_percentage: float | None
    forks: int | None
    items: tuple[Step | Window, ...]
    path: str
    source: SkipValidation[SourceMap] = Field(exclude=True, repr=False)

    def steps(self) -> Iterator[Step]:
        """Every step in order, those inside windows included."""
        for item in self.items:
            if isinstance(item, Window):
                yield from item.steps
            else:
                yield item

    def windows(self) -> Iterator[Window]:
        """Every window in order."""
        yield from (item for item in self.items if isinstance(item, Window))
