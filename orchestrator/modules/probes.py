"""The read-only probes `wait_for` can poll, each with its own argument schema.

Each probe returns a flat set of named values that a `wait_for` `until:` expression reads.
"""

from __future__ import annotations

from pydantic import Field

from orchestrator.modules.base import ACCOUNT_PATTERN, ArgsModel, Sid


class SmsClientStatus(ArgsModel):
    """Check-in state of the site's clients, polled on the site server.

    Values: total, checked_in, checked_in_ratio, failing, pending, uninstalled,
    uninstalled_ratio, aware (clients that know `account`), aware_ratio.
    """

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    account: str | None = Field(None, pattern=ACCOUNT_PATTERN, description="for aware/aware_ratio")
    clients: tuple[str, ...] | None = Field(
        None, description="count only these clients, e.g. \"{{ targets('client') }}\""
    )


class ServiceStatus(ArgsModel):
    """A service. Values: status (Running, Stopped ...), start_type."""

    name: str = Field(min_length=1)


class RegistryValue(ArgsModel):
    """A registry value. Values: exists, value, type."""

    path: str = Field(min_length=1)
    name: str = Field(min_length=1)


class AdUserStatus(ArgsModel):
    """An AD user. Values: exists, enabled, locked_out, bad_logon_count."""

    name: str | None = Field(None, min_length=1)
    sid: Sid | None = None


class LocalUserStatus(ArgsModel):
    """A local user. Values: exists, enabled."""

    name: str | None = Field(None, min_length=1)
    sid: Sid | None = None


PROBES: dict[str, type[ArgsModel]] = {
    "sms_client_status": SmsClientStatus,
    "service": ServiceStatus,
    "registry": RegistryValue,
    "ad_user": AdUserStatus,
    "local_user": LocalUserStatus,
}
