"""service: a Windows service started, stopped or restarted (e.g. the SMS client, Clisvcl)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.modules.base import ArgsModel, ModuleSpec


class Args(ArgsModel):
    """Arguments of service."""

    name: str = Field(min_length=1, description="service name, e.g. Clisvcl")
    state: Literal["started", "stopped", "restarted"]


SPEC = ModuleSpec("service", Args, "a service started, stopped or restarted")
