"""powershell: the escape hatch. Script text is fixed; values go in as parameters.

The script is never templated (that would paste values into code); `parameters` are
templated and bound to the script's param() block. Plans report this step as unknown.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from orchestrator.modules.base import ArgsModel, ModuleSpec, NoTemplateStr, always_irreversible


class Args(ArgsModel):
    """Arguments of powershell."""

    script: NoTemplateStr = Field(min_length=1, description="script text with a param() block")
    parameters: dict[str, Any] = Field(default_factory=dict, description="bound by name")


SPEC = ModuleSpec(
    "powershell",
    Args,
    "a script with parameters (escape hatch; plans say unknown)",
    always_irreversible("a script's effects cannot be undone by the engine"),
)
