"""ad_group_member: members of an AD group, optionally with a PAM time-to-live."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from orchestrator.durations import Duration
from orchestrator.modules.base import ArgsModel, ModuleSpec, State, reject_unqualified_guest


class Args(ArgsModel):
    """Arguments of ad_group_member."""

    group: str = Field(min_length=1, description="group identity, e.g. 'Domain Users'")
    members: Annotated[tuple[str, ...], AfterValidator(reject_unqualified_guest)] = Field(
        min_length=1, description="members by sAMAccountName or SID (S-1-5-21-*-501: Guest)"
    )
    state: State = "present"
    member_ttl: Duration | None = Field(
        None, description="-MemberTimeToLive: the DCs end the membership themselves (needs PAM)"
    )

    @model_validator(mode="after")
    def _ttl_only_when_adding(self) -> Self:
        if self.member_ttl is not None and self.state == "absent":
            raise ValueError("'member_ttl' applies only when adding members")
        if self.member_ttl is not None and self.member_ttl < timedelta(seconds=1):
            raise ValueError("'member_ttl' must be at least 1s")
        return self


SPEC = ModuleSpec("ad_group_member", Args, "members of an AD group (with a PAM TTL)")
