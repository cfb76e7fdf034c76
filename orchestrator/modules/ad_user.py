"""ad_user: an Active Directory user, e.g. a client connection account or the domain Guest."""

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

DN_PATTERN = r"^(?:(?:OU|CN|DC)=[^,]+,)*(?:OU|CN|DC)=[^,]+$"


class Args(ArgsModel):
    """Arguments of ad_user."""

    name: str | None = Field(None, min_length=1, max_length=20, description="sAMAccountName")
    sid: Sid | None = Field(None, description="the user's SID, e.g. S-1-5-21-*-501 (domain Guest)")
    state: State = "present"
    password: SecretArg | None = Field(None, description="initial password of a new account")
    enabled: bool | None = None
    password_never_expires: bool | None = None
    path: str | None = Field(None, pattern=DN_PATTERN, description="OU for a new account")
    description: str | None = None
    unlocked: bool | None = Field(
        None,
        description="true: unlock the account if it is locked out (Unlock-ADAccount); clients"
        " that held an old password lock connection accounts out (Q227033)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.name is None) == (self.sid is None):
            raise ValueError("give exactly one of 'name' or 'sid'")
        settings = (
            self.password,
            self.enabled,
            self.password_never_expires,
            self.path,
            self.unlocked,
        )
        if self.state == "absent" and any(v is not None for v in settings):
            raise ValueError("an absent user takes only its 'name' or 'sid'")
        if self.sid is not None and (self.password is not None or self.path is not None):
            raise ValueError("'password' and 'path' create an account, which needs a 'name'")
        return self


SPEC = ModuleSpec(
    "ad_user",
    Args,
    "an AD user: present/absent, password, enabled",
    irreversible_when_absent("domain account"),
)
