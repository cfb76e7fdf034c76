"""The read-only probes `wait_for` can poll, each with its own argument schema.

Each probe returns a flat set of named values that a `wait_for` `until:` expression reads.
`READERS` holds each probe's logic: read-only commands only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field

from orchestrator.modules.ad_user import ad_identity, find_ad_user
from orchestrator.modules.base import ACCOUNT_PATTERN, ArgsModel, Sid
from orchestrator.modules.local_user import find_user
from orchestrator.modules.logic import first, objects, read, run, same_name
from orchestrator.modules.protocol import Logic, StepContext
from orchestrator.modules.registry import read_value
from orchestrator.modules.registry import shown as registry_shown

Values = dict[str, Any]
CLIENT_NOT_FOUND = "ClientNotFound"
NO_SUCH_SERVICE = "NoServiceFoundForGivenName"


class SmsClientStatus(ArgsModel):
    """Check-in state of the site's clients, polled on the site server.

    Values: total, checked_in, checked_in_ratio, failing, pending, uninstalled,
    uninstalled_ratio, aware (clients that know `account`), aware_ratio, stragglers (the
    names of the clients not checked in yet), missing (clients asked for that the site does
    not know: counted in total, in no other value). Clients that left the run are not
    counted. With no client to count, every ratio is 1.0: there is nothing left to wait for.
    """

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    account: str | None = Field(None, pattern=ACCOUNT_PATTERN, description="for aware/aware_ratio")
    clients: tuple[str, ...] | None = Field(
        None, description="count only these clients, e.g. \"{{ targets('client') }}\""
    )


class ServiceStatus(ArgsModel):
    """A service. Values: exists, status (Running, Stopped ...), start_type."""

    name: str = Field(min_length=1)


class RegistryValue(ArgsModel):
    """A registry value. Values: exists, value (Get-ItemProperty cannot read its type)."""

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


def _ratio(part: int, total: int) -> float:
    return part / total if total else 1.0


def sms_client_status(args: SmsClientStatus, ctx: StepContext) -> Logic[Values]:
    """Get-CMClientStatus [-Name clients] (the lab's ConfigMgr-style cmdlet), counted here.
    Clients that left the run (their uninstall failed, they were unreachable) are not waited
    for: nobody will reinstall them."""
    clients = _still_in_run(args.clients, ctx)
    if clients == ():
        return _counts([], 0, None)
    result = yield from run(
        read("Get-CMClientStatus", SiteCode=args.site_code, Name=clients),
        allow={CLIENT_NOT_FOUND},
    )
    found = [c for c in objects(result) if same_name(str(c.get("SiteCode")), args.site_code)]
    total = len(clients) if clients is not None else len(found)
    values = _counts(found, max(total, len(found)), args.account)
    unknown = {c.lower() for c in clients or ()} - {str(c.get("Name")).lower() for c in found}
    values["stragglers"] = sorted([*values["stragglers"], *unknown])
    return values


def _still_in_run(clients: tuple[str, ...] | None, ctx: StepContext) -> tuple[str, ...] | None:
    if clients is None or ctx.left_run is None:
        return clients
    left = {name.lower() for name in ctx.left_run()}
    return tuple(c for c in clients if c.lower() not in left)


def _knows(client: Mapping[str, Any], account: str) -> bool:
    """An installed client that holds `account` (it learnt it at a good check-in, Q237759)."""
    known = client.get("KnownAccounts") or ()
    return bool(client.get("Installed")) and any(same_name(k, account) for k in known)


def _counts(clients: list[Mapping[str, Any]], total: int, account: str | None) -> Values:
    status = [str(c.get("Status")) for c in clients]
    aware = sum(1 for c in clients if account and _knows(c, account))
    checked_in, uninstalled = status.count("CheckedIn"), status.count("Uninstalled")
    waiting = [str(c.get("Name")) for c in clients if c.get("Status") != "CheckedIn"]
    return {
        "total": total,
        "checked_in": checked_in,
        "checked_in_ratio": _ratio(checked_in, total),
        "failing": status.count("Failing"),
        "pending": status.count("Pending"),
        "uninstalled": uninstalled,
        "uninstalled_ratio": _ratio(uninstalled, total),
        "aware": aware,
        "aware_ratio": _ratio(aware, total),
        "missing": total - len(clients),
        "stragglers": sorted(waiting),  # clients not checked in (or unknown to the site)
    }


def service_status(args: ServiceStatus, _ctx: StepContext) -> Logic[Values]:
    """Get-Service -Name (a missing service is exists: false)."""
    result = yield from run(read("Get-Service", Name=args.name), allow={NO_SUCH_SERVICE})
    found = first(result)
    if found is None:
        return {"exists": False, "status": None, "start_type": None}
    return {"exists": True, "status": found.get("Status"), "start_type": found.get("StartType")}


def registry_value(args: RegistryValue, _ctx: StepContext) -> Logic[Values]:
    """Get-ItemProperty, as the registry module reads a value."""
    state = yield from read_value(args.path, args.name)
    return {"exists": state.exists, "value": registry_shown(state.data)}


def ad_user_status(args: AdUserStatus, _ctx: StepContext) -> Logic[Values]:
    """Get-ADUser -Properties LockedOut,BadLogonCount."""
    identity = yield from ad_identity(args.name, args.sid)
    user = yield from find_ad_user(identity, ["LockedOut", "BadLogonCount"])
    if user is None:
        return {"exists": False, "enabled": None, "locked_out": None, "bad_logon_count": None}
    return {
        "exists": True,
        "enabled": user.get("Enabled"),
        "locked_out": user.get("LockedOut"),
        "bad_logon_count": user.get("BadLogonCount"),
    }


def local_user_status(args: LocalUserStatus, _ctx: StepContext) -> Logic[Values]:
    """Get-LocalUser by name, SID or relative SID."""
    user = yield from find_user(args.name, args.sid)
    if user is None:
        return {"exists": False, "enabled": None}
    return {"exists": True, "enabled": user.get("Enabled")}


READERS: dict[str, Callable[[Any, StepContext], Logic[Values]]] = {
    "sms_client_status": sms_client_status,
    "service": service_status,
    "registry": registry_value,
    "ad_user": ad_user_status,
    "local_user": local_user_status,
}
