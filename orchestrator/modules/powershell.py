"""powershell: the escape hatch. Script text is fixed; values go in as parameters.

The script is never templated (that would paste values into code); `parameters` are
templated and bound to the script's param() block. Plans report this step as unknown, and
nothing undoes it. The script's text never appears in a diff, an error or a log: only
`<script>` and its parameter names do (values may be secrets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from orchestrator.commands import Command
from orchestrator.modules.base import ArgsModel, ModuleSpec, NoTemplateStr, always_irreversible
from orchestrator.modules.logic import run
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext


class Args(ArgsModel):
    """Arguments of powershell."""

    script: NoTemplateStr = Field(min_length=1, description="script text with a param() block")
    parameters: dict[str, Any] = Field(default_factory=dict, description="bound by name")


@dataclass(frozen=True)
class NothingProbed:
    """A script's effect cannot be read in advance: there is nothing to probe."""


class PowerShell(ModuleTraits):
    """The powershell module."""

    name = "powershell"

    def probe(self, _args: Args, _ctx: StepContext) -> Logic[NothingProbed]:
        """Nothing to read."""
        return NothingProbed()
        yield  # a generator that sends nothing

    def diff(self, args: Args, _state: NothingProbed) -> Diff:
        """Always unknown."""
        names = ", ".join(args.parameters) or "no parameters"
        return Diff(
            DiffKind.UNKNOWN,
            f"run a script ({names})",
            reason="a script's effect cannot be predicted",
        )

    def apply(self, args: Args, _state: NothingProbed, _ctx: StepContext) -> Logic[None]:
        """One pipeline: the script, its parameters bound by name."""
        command = Command(
            args.script, tuple(args.parameters.items()), mutating=True, is_script=True
        )
        yield from run(command)

    def undo(self, _args: Args, _state: NothingProbed) -> tuple[Command, ...] | None:
        """Never."""
        return None


SPEC = ModuleSpec(
    "powershell",
    Args,
    "a script with parameters (escape hatch; plans say unknown)",
    always_irreversible("a script's effects cannot be undone by the engine"),
    implementation=PowerShell(),
)
