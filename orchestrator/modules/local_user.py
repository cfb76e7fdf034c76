"""local_user: a local account on a member server or workstation (by name or SID)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from orchestrator.modules.base import (
    ArgsModel,
    ModuleSpec,
    SecretArg,
    Sid,
    State,
    irreversible_when_absent,
)


class Args(ArgsModel):
    """Arguments of local_user."""

    name: str | None = Field(None, min_length=1, max_length=20, description="account name")
    sid: Sid | None = Field(None, description="the account's SID, e.g. S-1-5-21-*-501 (Guest)")
    state: State = "present"
    enabled: bool | None = Field(None, description="enabled (true) or disabled (false)")
    groups: tuple[str, ...] = Field((), description="local groups (names or SIDs) to be in")
    password: SecretArg | None = Field(None, description="for a new account only")
    description: str | None = Field(None, max_length=48)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.name is None) == (self.sid is None):
            raise ValueError("give exactly one of 'name' or 'sid'")
        if self.state == "absent" and (self.enabled is not None or self.groups or self.password):
            raise ValueError("an absent account takes no 'enabled', 'groups' or 'password'")
        if self.password is not None and self.sid is not None:
            raise ValueError("'password' creates an account, which needs a 'name', not a 'sid'")
        return self


SPEC = ModuleSpec(
    "local_user",
    Args,
    "a local account: present/absent, enabled, groups",
    irreversible_when_absent("local account"),
)
