"""The read-only probes `wait_for` can poll, each with its own argument schema.

Each probe returns a flat set of named values that a `wait_for` `until:` expression reads.
`READERS` holds each probe's logic: read-only commands only.
"""

from __future__ import annotations

import re
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
from orchestrator.samples import samples

Values = dict[str, Any]
CLIENT_NOT_FOUND = "ClientNotFound"
SITE_NOT_FOUND = "SiteNotFound"
ACCESS_DENIED = 2147942405  # 0x80070005, E_ACCESSDENIED: the CCIM error of Q236052
NO_SUCH_SERVICE = "NoServiceFoundForGivenName"


class SmsClientStatus(ArgsModel):
    """Check-in state of the site's clients, polled on the site server.

    Values: total, checked_in, checked_in_ratio, failing, pending, uninstalled,
    uninstalled_ratio, aware (clients that know `account`), aware_ratio, stragglers (the
    names of the clients not checked in yet), broken (the installed clients Q236052's
    methods repair: failing with #2147942405, or holding none of the site's accounts),
    failing_other (failing for another reason), site_accounts (the site's list), missing
    (clients asked for that the site does not know: counted in total, in no other value).
    Clients that left the run are not counted. With no client to count, every ratio is 1.0:
    there is nothing left to wait for.
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


class SmsSite(ArgsModel):
    """The site's settings (Get-CMSite). Values: exists, logon_discovery, logon_installation
    (Windows NT Logon Discovery / Client Installation, which Smsman's reinstall needs),
    logon_points, logon_share, smsman_path (Smsman.exe on the logon point's share)."""

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$")


class PathStatus(ArgsModel):
    """A file, folder or registry key (Test-Path). Values: exists."""

    path: str = Field(min_length=1)


class ConnectionAccounts(ArgsModel):
    """The connection accounts of a site by their incremented names (KB Q237759), read on a
    domain controller: `<prefix>_<site>` is number 1, `<prefix>2_<site>` number 2, and so on.
    Values: names (every such account in AD or in the site's list), highest, next (the name
    after the highest: never one that exists), next_exists, in_site (the site's accounts by
    this naming, oldest first), retire (the oldest of them when the site holds two or more: a
    rotation adding `next` retires it, keeping two valid accounts), count_in_site."""

    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3}$")
    prefix: str = Field("SMSClient", pattern=r"^[A-Za-z][A-Za-z0-9]{0,12}$")
    site_accounts: tuple[str, ...] = Field((), description="the site's list (DOMAIN\\name)")


PROBES: dict[str, type[ArgsModel]] = {
    "sms_client_status": SmsClientStatus,
    "sms_site": SmsSite,
    "service": ServiceStatus,
    "registry": RegistryValue,
    "path": PathStatus,
    "ad_user": AdUserStatus,
    "local_user": LocalUserStatus,
    "connection_accounts": ConnectionAccounts,
}


# The values each probe returns and their kinds (orchestrator/samples.py): expressions over
# them are checked before a run with samples of these kinds. A test keeps them true.
VALUE_KINDS: dict[str, dict[str, str]] = {
    "sms_client_status": {
        **dict.fromkeys(("total", "checked_in", "failing", "pending", "uninstalled"), "int"),
        **dict.fromkeys(("aware", "missing"), "int"),
        **dict.fromkeys(("checked_in_ratio", "uninstalled_ratio", "aware_ratio"), "float"),
        **dict.fromkeys(("stragglers", "broken", "failing_other", "site_accounts"), "list"),
    },
    "sms_site": {
        "exists": "bool",
        "logon_discovery": "bool?",
        "logon_installation": "bool?",
        "logon_points": "list",
        "logon_share": "str?",
        "smsman_path": "str?",
    },
    # a service's status and start type are enums on Windows: shown as text, typed as any
    "service": {"exists": "bool", "status": "any", "start_type": "any"},
    "registry": {"exists": "bool", "value": "any"},  # a registry value has any type
    "path": {"exists": "bool"},
    "ad_user": {
        "exists": "bool",
        "enabled": "bool?",
        "locked_out": "bool?",
        "bad_logon_count": "int?",
    },
    "local_user": {"exists": "bool", "enabled": "bool?"},
    "connection_accounts": {
        "names": "list",
        "highest": "int",
        "next": "str",
        "next_exists": "bool",
        "in_site": "list",
        "count_in_site": "int",
        "retire": "str?",
    },
}


def probe_samples(name: str | None) -> dict[str, Any]:
    """Samples of a probe's values (every name Unknown when the probe is not known)."""
    kinds = VALUE_KINDS.get(name or "")
    return samples(kinds) if kinds is not None else {}


def chosen_probe(args: Mapping[str, Any]) -> str | None:
    """The probe named in a step's raw arguments (`probe:`/`assert:` key, `wait_for: probe:`)."""
    given = args.get("probe", args)
    if isinstance(given, str):
        return given if given in VALUE_KINDS else None
    if not isinstance(given, Mapping):
        return None
    return next((name for name in given if name in VALUE_KINDS), None)


def _ratio(part: int, total: int) -> float:
    return part / total if total else 1.0


def sms_client_status(args: SmsClientStatus, ctx: StepContext) -> Logic[Values]:
    """Get-CMClientStatus [-Name clients] (the lab's ConfigMgr-style cmdlet), counted here.
    Clients that left the run (their uninstall failed, they were unreachable) are not waited
    for: nobody will reinstall them."""
    clients = _still_in_run(args.clients, ctx)
    if clients == ():
        return {**_counts([], 0, None), "broken": [], "failing_other": [], "site_accounts": []}
    result = yield from run(
        read("Get-CMClientStatus", SiteCode=args.site_code, Name=clients),
        allow={CLIENT_NOT_FOUND},
    )
    found = [c for c in objects(result) if same_name(str(c.get("SiteCode")), args.site_code)]
    total = len(clients) if clients is not None else len(found)
    values = _counts(found, max(total, len(found)), args.account)
    unknown = {c.lower() for c in clients or ()} - {str(c.get("Name")).lower() for c in found}
    values["stragglers"] = sorted([*values["stragglers"], *unknown])
    accounts = yield from site_accounts(args.site_code)
    return {**values, **_breakage(found, accounts)}


def site_accounts(site_code: str) -> Logic[list[str]]:
    """The site's client connection accounts, in the order clients try them."""
    result = yield from run(read("Get-CMClientConnectionAccount", SiteCode=site_code))
    ordered = sorted(objects(result), key=lambda a: int(a.get("Order") or 0))
    return [str(a.get("UserName", "")) for a in ordered]


def _breakage(clients: list[Mapping[str, Any]], accounts: list[str]) -> Values:
    """Which installed clients Q236052's methods repair: failing with access denied
    (#2147942405: the password they hold was changed), or holding none of the site's accounts."""
    broken, other = [], []
    for client in (c for c in clients if c.get("Installed")):
        name = str(client.get("Name"))
        known = client.get("KnownAccounts") or ()
        denied = client.get("Status") == "Failing" and client.get("LastError") == ACCESS_DENIED
        if denied or not any(same_name(k, a) for k in known for a in accounts):
            broken.append(name)
        elif client.get("Status") == "Failing":
            other.append(name)
    return {"broken": sorted(broken), "failing_other": sorted(other), "site_accounts": accounts}


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


def sms_site(args: SmsSite, _ctx: StepContext) -> Logic[Values]:
    """Get-CMSite -SiteCode (SiteNotFound: exists false)."""
    result = yield from run(read("Get-CMSite", SiteCode=args.site_code), allow={SITE_NOT_FOUND})
    site = first(result)
    if site is None:
        return {"exists": False, "logon_discovery": None, "logon_installation": None,
                "logon_points": [], "logon_share": None, "smsman_path": None}  # fmt: skip
    return {
        "exists": True,
        "logon_discovery": bool(site.get("LogonDiscovery")),
        "logon_installation": bool(site.get("LogonInstallation")),
        "logon_points": [str(p) for p in site.get("LogonPoints") or ()],
        "logon_share": site.get("LogonShare"),
        "smsman_path": site.get("SmsmanPath"),
    }


def path_status(args: PathStatus, _ctx: StepContext) -> Logic[Values]:
    """Test-Path -Path."""
    result = yield from run(read("Test-Path", Path=args.path))
    return {"exists": result.outputs == (True,)}


def connection_accounts(args: ConnectionAccounts, _ctx: StepContext) -> Logic[Values]:
    """Get-ADUser -Filter by the naming scheme, with the site's list, numbered."""
    pattern = f"{args.prefix}*_{args.site_code}"  # both validated: nothing to quote
    result = yield from run(read("Get-ADUser", Filter=f"SamAccountName -like '{pattern}'"))
    in_ad = [str(u.get("SamAccountName", "")) for u in objects(result)]
    number = _account_number(args.prefix, args.site_code)
    in_site = [n for n in (a.rsplit("\\", 1)[-1] for a in args.site_accounts) if number(n)]
    numbered = {n.lower(): n for n in [*in_ad, *in_site] if number(n)}
    highest = max((number(n) or 0 for n in numbered.values()), default=0)
    following = _account_name(args.prefix, args.site_code, highest + 1)
    oldest_first = sorted(in_site, key=lambda n: number(n) or 0)
    return {
        "names": sorted(numbered.values(), key=lambda n: number(n) or 0),
        "highest": highest,
        "next": following,
        "next_exists": following.lower() in numbered,
        "in_site": oldest_first,
        "count_in_site": len(oldest_first),
        "retire": oldest_first[0] if len(oldest_first) >= 2 else None,
    }


def _account_number(prefix: str, site: str) -> Callable[[str], int | None]:
    pattern = re.compile(rf"^{re.escape(prefix)}(\d*)_{re.escape(site)}$", re.IGNORECASE)

    def number(name: str) -> int | None:
        match = pattern.match(name)
        return None if match is None else int(match.group(1) or 1)

    return number


def _account_name(prefix: str, site: str, number: int) -> str:
    return f"{prefix}_{site}" if number == 1 else f"{prefix}{number}_{site}"


READERS: dict[str, Callable[[Any, StepContext], Logic[Values]]] = {
    "sms_client_status": sms_client_status,
    "sms_site": sms_site,
    "service": service_status,
    "registry": registry_value,
    "path": path_status,
    "ad_user": ad_user_status,
    "local_user": local_user_status,
    "connection_accounts": connection_accounts,
}
