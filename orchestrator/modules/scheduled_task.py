"""scheduled_task: a one-shot task registered as SYSTEM (the same kind the failsafe uses)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from pydantic import Field, model_validator

from orchestrator.durations import Duration
from orchestrator.modules.base import ArgsModel, ModuleSpec, State


class Args(ArgsModel):
    """Arguments of scheduled_task."""

    name: str = Field(min_length=1, pattern=r"^[^\\/:*?\"<>|]+$")
    path: str = Field("\\", pattern=r"^\\(?:[^\\]+\\)*$", description="task folder, e.g. \\")
    state: State = "present"
    at: datetime | None = Field(None, description="start boundary, on the target's clock")
    end_after: Duration = Field(
        timedelta(hours=1),
        description="EndBoundary = at + end_after; StartWhenAvailable needs an EndBoundary",
    )
    start_when_available: bool = True
    delete_expired_after: Duration | None = Field(timedelta(days=1))
    user: str = Field("SYSTEM", min_length=1)
    execute: str | None = Field(None, min_length=1, description="program, e.g. powershell.exe")
    arguments: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.state == "absent":
            if self.at is not None or self.execute is not None or self.arguments is not None:
                raise ValueError("an absent task takes only its 'name' and 'path'")
            return self
        if self.at is None or self.execute is None:
            raise ValueError("a present task needs 'at' and 'execute'")
        if self.end_after <= timedelta(0):
            raise ValueError("'end_after' must be positive")
        return self


SPEC = ModuleSpec("scheduled_task", Args, "a one-shot scheduled task (SYSTEM, EndBoundary)")
