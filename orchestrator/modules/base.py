"""What every module's argument schema shares: strictness, secrets, SIDs, states."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from orchestrator.secrets import Secret
from orchestrator.validation import SECRET_FIELD, is_template

if TYPE_CHECKING:  # protocol.py imports this module: the annotation alone must not
    from orchestrator.modules.protocol import Module


class ArgsModel(BaseModel):
    """A module's arguments: frozen, and every unknown key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


def _always_undoable(_args: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class Expression:
    """An expression in a step's arguments (`until:`, `that:`), evaluated during the run.

    values: samples (orchestrator/samples.py) of what it sees besides the variables: the
    values of the probe it reads."""

    field: str
    text: str
    values: Mapping[str, Any]


def _no_expressions(_args: Mapping[str, Any]) -> tuple[Expression, ...]:
    return ()


def _shape_unknown(_args: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return None


def _no_duration(_args: Any) -> timedelta | None:
    return None


@dataclass(frozen=True)
class ModuleSpec:
    """A kind of step: its name, argument schema and a one-line summary.

    irreversible: given the step's (unrendered) arguments, why its change cannot be undone,
        or None. Such a step must say `irreversible: true` and cannot sit in a window.
    implementation: the probe/diff/apply/undo logic (`orchestrator.engine.step.execute`),
        with its `transient_errors` and `read_only` traits (`protocol.ModuleTraits`).
    expressions, registers, longest: what `validate` checks before a run (see below).
    """

    name: str
    args: type[ArgsModel]
    summary: str
    irreversible: Callable[[Mapping[str, Any]], str | None] = _always_undoable
    implementation: Module[Any, Any] = field(kw_only=True, repr=False)
    # What is checked before a run, from the step's (unrendered) arguments: the expressions
    # it evaluates, a sample of what `register:` keeps (None: shape unknown), and from its
    # rendered arguments how long it may take at most (a wait's timeout).
    expressions: Callable[[Mapping[str, Any]], tuple[Expression, ...]] = field(
        default=_no_expressions, kw_only=True, repr=False
    )
    registers: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] = field(
        default=_shape_unknown, kw_only=True, repr=False
    )
    longest: Callable[[Any], timedelta | None] = field(
        default=_no_duration, kw_only=True, repr=False
    )


def irreversible_when_absent(what: str) -> Callable[[Mapping[str, Any]], str | None]:
    """Deleting an account cannot be undone: a re-created one has a new SID."""

    def reason(args: Mapping[str, Any]) -> str | None:
        if args.get("state") == "absent":
            return f"a deleted {what} cannot be restored (a new one gets a new SID)"
        return None

    return reason


def always_irreversible(reason: str) -> Callable[[Mapping[str, Any]], str | None]:
    """For modules whose effect has no undo at all (programs, scripts)."""
    return lambda _args: reason


State = Literal["present", "absent"]

# A SID, or the machine/domain-relative form "S-1-5-21-*-501": the account with RID 501 of
# the host's own SAM (or of the domain on a DC). Guest's name is localised and, on a domain
# member, an unqualified "Guest" resolves to the domain Guest (Add-LocalGroupMember on
# Microsoft Learn; PowerShell/PowerShell#12289), so playbooks address it by RID.
SID_PATTERN = r"^S-1-(?:\d+-)*\d+$|^S-1-5-21-\*-\d+$"
Sid = Annotated[
    str,
    Field(pattern=SID_PATTERN, description="a SID, or S-1-5-21-*-RID for the host's own account"),
]


def _secret_only(value: Any) -> Any:
    if isinstance(value, Secret):
        return value
    raise PydanticCustomError(
        "secret_literal",
        "a password must come from a declared secret, e.g. '{{ secrets.new_account_password }}';"
        " literal passwords are not accepted",
    )


SecretArg = Annotated[
    Secret,
    BeforeValidator(_secret_only),
    SECRET_FIELD,
    WithJsonSchema(
        {"type": "string", "pattern": r"\{\{.*secrets\..*\}\}", "description": "a secret reference"}
    ),
]


def _no_template(value: Any) -> Any:
    if is_template(value):
        raise PydanticCustomError(
            "template_forbidden",
            "templates are not expanded here; pass values through 'parameters' instead",
        )
    return value


NoTemplateStr = Annotated[str, BeforeValidator(_no_template)]

ACCOUNT_PATTERN = r"^[^\\/\[\]:;|=,+*?<>@\"]+\\[^\\/\[\]:;|=,+*?<>@\"]+$"


def unqualified_guest(name: str) -> bool:
    """True for a bare 'Guest' (any case), which resolves to the domain Guest on members."""
    return re.fullmatch(r"\s*guest\s*", name, re.IGNORECASE) is not None


def reject_unqualified_guest(names: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse a bare 'Guest' member: Q236052 needs the local one, addressed by SID."""
    for name in names:
        if unqualified_guest(name):
            raise ValueError(
                "an unqualified 'Guest' resolves to the DOMAIN Guest on a domain member; address"
                " the local Guest by SID 'S-1-5-21-*-501' (or the domain Guest as 'DOMAIN\\Guest')"
            )
    return names
