"""sms_connection_account: the SMS site's list of client connection accounts (Q237759)."""

from __future__ import annotations

from pydantic import Field

from orchestrator.modules.base import ACCOUNT_PATTERN, ArgsModel, ModuleSpec, State


class Args(ArgsModel):
    """Arguments of sms_connection_account."""

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$", description="three-character site code")
    account: str = Field(pattern=ACCOUNT_PATTERN, description="DOMAIN\\name")
    state: State = "present"


SPEC = ModuleSpec("sms_connection_account", Args, "a client connection account of the site")
