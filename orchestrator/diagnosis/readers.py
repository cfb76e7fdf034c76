"""What `diagnose` reads on each host: sans-IO readers yielding read-only commands.

Each reader is a generator, like a module's probe (modules/protocol.py): it yields `Command`
values built with `read` (never marked mutating) and receives their results; app/diagnose.py
drives it through the command's fan-out behind a transport that refuses any mutating
command. The Guest is found as the engine finds it (by RID 501, modules/local_user.py and
modules/ad_user.py), registry values as the registry module reads them.

- the site server: Get-CMClientConnectionAccount, Get-CMClientStatus, Get-CMSite (a site
  without that cmdlet gives "unknown" settings, not a failure);
- a domain controller: Get-ADDomain, Get-ADUser -Properties for each account, and
  Search-ADAccount -LockedOut;
- a CAP: its Guest and LimitBlankPasswordUse;
- a client: AllowInsecureGuestAuth and Test-Path of Smsman.exe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.diagnosis.facts import (
    AccountFacts,
    CapFacts,
    ClientHostFacts,
    ClientStatus,
    DirectoryFacts,
    SiteFacts,
    SiteSettings,
)
from orchestrator.modules.ad_user import ad_identity, find_ad_user
from orchestrator.modules.local_user import find_user
from orchestrator.modules.logic import first, objects, read, run, send
from orchestrator.modules.protocol import Logic
from orchestrator.modules.registry import read_value

GUEST_SID = "S-1-5-21-*-501"  # the host's (or, on a DC, the domain's) Guest: RID 501
LSA_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
LIMIT_BLANK_PASSWORD_USE = "LimitBlankPasswordUse"  # noqa: S105 -- a value name, not a password
WORKSTATION_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters"
ALLOW_INSECURE_GUEST_AUTH = "AllowInsecureGuestAuth"
COMMAND_NOT_FOUND = "CommandNotFoundException"
# Get-ADUser -Properties: LockedOut is computed from lockoutTime and the lockout duration;
# BadLogonCount is badPwdCount (Get-ADUser, Microsoft Learn)
AD_PROPERTIES = (
    "Enabled",
    "LockedOut",
    "BadLogonCount",
    "badPwdCount",
    "LockoutTime",
    "AccountLockoutTime",
    "LastBadPasswordAttempt",
)
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


# -- the site server --------------------------------------------------------------------------


def read_site(server: str, site_code: str) -> Logic[SiteFacts]:
    """The site's connection accounts (in order), its clients, and its settings."""
    accounts = yield from run(read("Get-CMClientConnectionAccount", SiteCode=site_code))
    ordered = sorted(objects(accounts), key=lambda a: int(a.get("Order") or 0))
    status = yield from run(read("Get-CMClientStatus", SiteCode=site_code))
    clients = tuple(
        _client(c)
        for c in objects(status)
        if str(c.get("SiteCode") or site_code).casefold() == site_code.casefold()
    )
    settings, unknown = yield from read_settings(server, site_code)
    return SiteFacts(
        server=server,
        site_code=site_code,
        accounts=tuple(str(a.get("UserName")) for a in ordered),
        clients=clients,
        settings=settings,
        settings_unknown=unknown,
    )


def _client(found: Mapping[str, Any]) -> ClientStatus:
    return ClientStatus(
        name=str(found.get("Name")),
        installed=bool(found.get("Installed")),
        status=str(found.get("Status")),
        last_error=_int(found.get("LastError")) or 0,
        known_accounts=_texts(found.get("KnownAccounts")),
        locked_out_accounts=_texts(found.get("LockedOutAccounts")),
        site_config_last_checked=_text(found.get("SiteConfigLastChecked")),
        timestamp_readable=found.get("TimestampReadable") is not False,
    )


def read_settings(server: str, site_code: str) -> Logic[tuple[SiteSettings | None, str]]:
    """Get-CMSite: the settings, or None and why (the cmdlet may not exist on older sites)."""
    result = yield from send(read("Get-CMSite", SiteCode=site_code))
    missing = result.error(COMMAND_NOT_FOUND)
    if missing is not None:
        return None, f"Get-CMSite is not available on {server}"
    if result.errors:
        return None, f"Get-CMSite failed on {server}: {result.errors[0].message}"
    found = first(result)
    if found is None:
        return None, f"Get-CMSite returned nothing on {server}"
    settings = SiteSettings(
        logon_discovery=_flag(found.get("LogonDiscovery")),
        logon_installation=_flag(found.get("LogonInstallation")),
        logon_points=_texts(found.get("LogonPoints")),
        logon_share=_text(found.get("LogonShare")),
        smsman_path=_text(found.get("SmsmanPath")),
    )
    return settings, ""


# -- a domain controller ----------------------------------------------------------------------


def read_directory(server: str, names: Iterable[str]) -> Logic[DirectoryFacts]:
    """Get-ADDomain, each account by sAMAccountName, and the accounts locked out now."""
    domain = yield from run(read("Get-ADDomain"))
    found = first(domain) or {}
    netbios = str(found.get("NetBIOSName") or "")
    dns = str(found.get("DNSRoot") or "")
    accounts = []
    for name in dict.fromkeys(names):
        account = yield from read_account(name, (netbios, dns))
        accounts.append(account)
    locked = yield from run(read("Search-ADAccount", LockedOut=True, UsersOnly=True))
    return DirectoryFacts(
        server=server,
        domain=netbios,
        domain_sid=str(found.get("DomainSID") or ""),
        accounts=tuple(accounts),
        locked_out=tuple(str(a.get("SamAccountName")) for a in objects(locked)),
    )


def read_account(name: str, domain: tuple[str, str]) -> Logic[AccountFacts]:
    """One account by its sAMAccountName; one of another domain is not looked up."""
    qualifier, _, sam = name.rpartition("\\")
    if qualifier and qualifier.casefold() not in {d.casefold() for d in domain if d}:
        return AccountFacts(name, sam, exists=False, foreign=True)
    user = yield from find_ad_user(sam, list(AD_PROPERTIES))
    if user is None:
        return AccountFacts(name, sam, exists=False)
    lockout = user.get("AccountLockoutTime") or user.get("LockoutTime")
    return AccountFacts(
        name=name,
        sam=str(user.get("SamAccountName") or sam),
        exists=True,
        sid=_text(user.get("SID")),
        enabled=_flag(user.get("Enabled")),
        locked_out=_flag(user.get("LockedOut")),
        bad_logon_count=_int(user.get("BadLogonCount", user.get("badPwdCount"))),
        lockout_time=_when(lockout),
        last_bad_password_attempt=_when(user.get("LastBadPasswordAttempt")),
    )


# -- a CAP ------------------------------------------------------------------------------------


def read_cap(server: str, *, on_dc: bool) -> Logic[CapFacts]:
    """The Guest that serves this CAP (by RID 501) and its LimitBlankPasswordUse."""
    if on_dc:
        identity = yield from ad_identity(None, GUEST_SID)
        guest = yield from find_ad_user(identity, ["Enabled"])
        name_key = "SamAccountName"
    else:
        guest = yield from find_user(None, GUEST_SID)
        name_key = "Name"
    limit = yield from read_value(LSA_KEY, LIMIT_BLANK_PASSWORD_USE)
    return CapFacts(
        host=server,
        on_dc=on_dc,
        guest=_text(guest.get(name_key)) if guest else None,
        guest_sid=_text(guest.get("SID")) if guest else None,
        guest_enabled=_flag(guest.get("Enabled")) if guest else None,
        limit_blank_password_use=_int(limit.data) if limit.exists else None,
    )


# -- a client ---------------------------------------------------------------------------------


def read_client_host(host: str, smsman_paths: Iterable[str]) -> Logic[ClientHostFacts]:
    """AllowInsecureGuestAuth, and whether Smsman.exe is at each path (Test-Path)."""
    value = yield from read_value(WORKSTATION_KEY, ALLOW_INSECURE_GUEST_AUTH)
    paths = tuple(dict.fromkeys(smsman_paths))
    found: tuple[bool, ...] = ()
    if paths:
        result = yield from run(read("Test-Path", Path=list(paths)))
        found = tuple(bool(v) for v in result.outputs)
    return ClientHostFacts(
        host=host,
        allow_insecure_guest_auth=_int(value.data) if value.exists else None,
        smsman=tuple(zip(paths, found, strict=False)),
    )


# -- values -----------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _when(value: Any) -> str | None:
    """A time as text: ISO text as given, a datetime in ISO, a FILETIME (100 ns since 1601,
    as lockoutTime is stored) converted; 0 means never."""
    if value is None or value in (0, ""):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return (_FILETIME_EPOCH + timedelta(microseconds=value // 10)).isoformat()
    return str(value)
