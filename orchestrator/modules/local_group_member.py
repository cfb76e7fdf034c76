"""local_group_member: members of a local group (Users, Administrators ...)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from orchestrator.modules.base import ArgsModel, ModuleSpec, Sid, State, reject_unqualified_guest


class Args(ArgsModel):
    """Arguments of local_group_member."""

    group: str | None = Field(None, min_length=1, description="group name, e.g. Users")
    group_sid: Sid | None = Field(None, description="group SID, e.g. S-1-5-32-545 (Users)")
    members: Annotated[tuple[str, ...], AfterValidator(reject_unqualified_guest)] = Field(
        min_length=1, description="members as DOMAIN\\name, COMPUTER\\name or SID"
    )
    state: State = "present"

    @model_validator(mode="after")
    def _one_group(self) -> Self:
        if (self.group is None) == (self.group_sid is None):
            raise ValueError("give exactly one of 'group' or 'group_sid'")
        return self


SPEC = ModuleSpec("local_group_member", Args, "members of a local group")
