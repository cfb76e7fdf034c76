"""SMS site cmdlets, invented in Configuration Manager's style (ConfigMgr has no cmdlets for
SMS 2.0 client connection accounts). They exist only on hosts with the site's console module
(the site server). FQEIDs use the class prefix below.

Get-CMSite [-SiteCode <string>]
    -> Lab.SMS.Site: SiteCode, LogonDiscovery (Windows NT Logon Discovery enabled),
       LogonInstallation (Windows NT Logon Client Installation enabled; Smsman.exe needs one
       of the two, KB Q236052), LogonPoints (host names), LogonShare (the client install share
       on the first logon point, e.g. \\\\SITE1\\SMSLOGON; null without one), SmsmanPath
       (e.g. \\\\SITE1\\SMSLOGON\\x86.bin\\00000409\\Smsman.exe; null if the share lacks it).
Get-CMClientConnectionAccount [-SiteCode <string>] [[-UserName] <string>]
    -> Lab.SMS.ClientConnectionAccount: SiteCode, UserName, Order (1 = tried first),
       PasswordStored (the site holds its own copy, set with -Password).
New-CMClientConnectionAccount [-SiteCode] -UserName <DOMAIN\\name> [-Password <SecureString>]
    Adds the account at the end of the list (clients learn it at their next good check-in,
    Q237759). Exists: non-terminating AccountExists (ResourceExists).
Set-CMClientConnectionAccount [-SiteCode] -UserName -Password <SecureString>
    Updates the password the site hands to clients.
Remove-CMClientConnectionAccount [-SiteCode] -UserName [-WhatIf] [-Confirm]
    Removes it (ConfirmImpact Medium). Missing: non-terminating AccountNotFound (ObjectNotFound).
Get-CMClientStatus [-SiteCode] [[-Name] <string[]> (wildcards)]
    -> Lab.SMS.ClientStatus per client: Name, SiteCode, Installed, Status (CheckedIn | Failing |
       Pending | Uninstalled), CheckedIn, LastConfigCheck / LastAttempt (lab time), LastError
       (HRESULT, 0 = none; 2147942405 = the article's access denied), KnownAccounts,
       LockedOutAccounts (known accounts locked out in AD now), SiteConfigLastChecked (the raw
       REG_SZ), TimestampReadable.
Get-CMClientStatusSummary [-SiteCode] [-Account <DOMAIN\\name>]
    -> Lab.SMS.ClientStatusSummary: Total, CheckedIn, CheckedInRatio, Failing, Pending,
       Uninstalled, Aware / AwareRatio (clients that know -Account), the values of the
       engine's sms_client_status probe.
"""

from __future__ import annotations

from typing import Any

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import has_wildcard, like, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject, SecureString
from orchestrator.lab.domain import ccim, lockout
from orchestrator.lab.domain.host import Module
from orchestrator.lab.domain.sms import (
    LAST_CHECKED,
    ClientHealth,
    ConnectionAccount,
    SmsClient,
    SmsSite,
    parse_last_checked,
    site_key,
)

CLASS = "Microsoft.ConfigurationManagement.Cmdlets.Sms.{}Command"
SITE_EXCEPTION = "Microsoft.ConfigurationManagement.ManagementProvider.SmsException"


def _site(inv: Invocation) -> SmsSite:
    site = inv.state.site
    code = inv.args.text("SiteCode")
    if site is None or (code and code.lower() != site.site_code.lower()):
        inv.fail(
            inv.record(
                f"Site code {code or '(none)'} is not a site of this SMS provider.",
                ErrorKind("SiteNotFound", "ObjectNotFound", SITE_EXCEPTION),
                code,
                "String",
            )
        )
    return site


def get_site(inv: Invocation) -> None:
    """Get-CMSite: the site's logon methods and where clients install from."""
    site = _site(inv)
    props = {
        "SiteCode": site.site_code,
        "LogonDiscovery": site.logon_discovery,
        "LogonInstallation": site.logon_installation,
        "LogonPoints": list(site.logon_points),
        "LogonShare": ccim.logon_share(inv.state, site),
        "SmsmanPath": ccim.logon_smsman(inv.state, site),
    }
    inv.write(ps(("Lab.SMS.Site", "System.Object"), props, site.site_code))


def _account_object(site: SmsSite, index: int, account: ConnectionAccount) -> PSObject:
    props = {
        "SiteCode": site.site_code,
        "UserName": account.name,
        "Order": index + 1,
        "PasswordStored": account.password is not None,
    }
    return ps(("Lab.SMS.ClientConnectionAccount", "System.Object"), props, account.name)


def get_accounts(inv: Invocation) -> None:
    """Get-CMClientConnectionAccount."""
    site = _site(inv)
    wanted = inv.args.text("UserName")
    for index, account in enumerate(site.accounts):
        if not wanted or like(wanted, account.name):
            inv.write(_account_object(site, index, account))


def new_account(inv: Invocation) -> None:
    """New-CMClientConnectionAccount."""
    site = _site(inv)
    name = inv.args.text("UserName")
    if site.account(name) is not None:
        inv.write_error(
            inv.record(
                f"The client connection account {name} already exists.",
                ErrorKind("AccountExists", "ResourceExists", SITE_EXCEPTION),
                name,
                "String",
            )
        )
        return
    if inv.should_process(name, "Add client connection account"):
        password: SecureString | None = inv.args.get("Password")
        site.accounts.append(ConnectionAccount(name, password))
        inv.write(_account_object(site, len(site.accounts) - 1, site.accounts[-1]))


def _missing(inv: Invocation, name: str) -> None:
    inv.write_error(
        inv.record(
            f"The client connection account {name} was not found.",
            ErrorKind("AccountNotFound", "ObjectNotFound", SITE_EXCEPTION),
            name,
            "String",
        )
    )


def set_account(inv: Invocation) -> None:
    """Set-CMClientConnectionAccount -Password."""
    site = _site(inv)
    name = inv.args.text("UserName")
    account = site.account(name)
    if account is None:
        _missing(inv, name)
    elif inv.should_process(name, "Set client connection account"):
        site.accounts[site.accounts.index(account)] = ConnectionAccount(
            account.name, inv.args.get("Password")
        )


def remove_account(inv: Invocation) -> None:
    """Remove-CMClientConnectionAccount."""
    site = _site(inv)
    name = inv.args.text("UserName")
    account = site.account(name)
    if account is None:
        _missing(inv, name)
    elif inv.should_process(name, "Remove client connection account"):
        site.accounts.remove(account)


def _locked_accounts(inv: Invocation, client: SmsClient) -> list[str]:
    ad, now = inv.state.ad, inv.state.now()
    names = []
    for known in client.known_accounts:
        user = ad.store.user(known.name.rsplit("\\", 1)[-1])
        if user is not None and lockout.is_locked(user, ad.lockout, now):
            names.append(known.name)
    return names


def status_object(inv: Invocation, site: SmsSite, client: SmsClient) -> PSObject:
    """A Lab.SMS.ClientStatus."""
    host = inv.state.host(client.host)
    raw = host.registry.get(site_key(site.site_code), LAST_CHECKED) if host else None
    text = raw.data if raw is not None else None
    props: dict[str, Any] = {
        "Name": client.host,
        "SiteCode": client.site_code,
        "Installed": client.installed,
        "Status": client.health,
        "CheckedIn": client.health is ClientHealth.CheckedIn,
        "LastConfigCheck": client.last_success,
        "LastAttempt": client.last_attempt,
        "LastError": client.last_error,
        "KnownAccounts": [k.name for k in client.known_accounts],
        "LockedOutAccounts": _locked_accounts(inv, client),
        "SiteConfigLastChecked": text if isinstance(text, str) else None,
        "TimestampReadable": parse_last_checked(text) is not None,
    }
    return ps(("Lab.SMS.ClientStatus", "System.Object"), props, client.host)


def get_client_status(inv: Invocation) -> None:
    """Get-CMClientStatus [-Name]."""
    site = _site(inv)
    names = inv.args.texts("Name")
    for name in names or ("*",):
        found = [c for c in inv.state.clients.values() if like(name, c.host)]
        if not found and not has_wildcard(name):
            inv.write_error(
                inv.record(
                    f"No client named {name} was found in site {site.site_code}.",
                    ErrorKind("ClientNotFound", "ObjectNotFound", SITE_EXCEPTION),
                    name,
                    "String",
                )
            )
        for client in found:
            inv.write(status_object(inv, site, client))


def get_client_status_summary(inv: Invocation) -> None:
    """Get-CMClientStatusSummary [-Account]: counts for the whole site."""
    site = _site(inv)
    clients = [c for c in inv.state.clients.values() if c.site_code == site.site_code]
    health = [c.health for c in clients]
    total = len(clients)
    account = inv.args.text("Account")
    aware = sum(1 for c in clients if c.installed and account and c.knows(account))
    checked_in = health.count(ClientHealth.CheckedIn)
    props = {
        "SiteCode": site.site_code,
        "Total": total,
        "CheckedIn": checked_in,
        "CheckedInRatio": checked_in / total if total else 0.0,
        "Failing": health.count(ClientHealth.Failing),
        "Pending": health.count(ClientHealth.Pending),
        "Uninstalled": health.count(ClientHealth.Uninstalled),
        "Account": account or None,
        "Aware": aware,
        "AwareRatio": aware / total if total else 0.0,
    }
    inv.write(ps(("Lab.SMS.ClientStatusSummary", "System.Object"), props, site.site_code))


_SITE = Param("SiteCode")
_USER = Param("UserName", mandatory=True, position=0, not_empty=True)
_CM = Module.CONFIG_MANAGER
SPECS = (
    CmdletSpec("Get-CMSite", CLASS.format("GetSite"), get_site, (_SITE,), module=_CM),
    CmdletSpec(
        "Get-CMClientConnectionAccount",
        CLASS.format("GetClientConnectionAccount"),
        get_accounts,
        (_SITE, Param("UserName", position=0)),
        module=_CM,
    ),
    CmdletSpec(
        "New-CMClientConnectionAccount",
        CLASS.format("NewClientConnectionAccount"),
        new_account,
        (_SITE, _USER, Param("Password", Kind.SECURE)),
        impact=Impact.MEDIUM,
        module=_CM,
    ),
    CmdletSpec(
        "Set-CMClientConnectionAccount",
        CLASS.format("SetClientConnectionAccount"),
        set_account,
        (_SITE, _USER, Param("Password", Kind.SECURE, mandatory=True)),
        impact=Impact.MEDIUM,
        module=_CM,
    ),
    CmdletSpec(
        "Remove-CMClientConnectionAccount",
        CLASS.format("RemoveClientConnectionAccount"),
        remove_account,
        (_SITE, _USER),
        impact=Impact.MEDIUM,
        module=_CM,
    ),
    CmdletSpec(
        "Get-CMClientStatus",
        CLASS.format("GetClientStatus"),
        get_client_status,
        (_SITE, Param("Name", Kind.STRINGS, position=0)),
        module=_CM,
    ),
    CmdletSpec(
        "Get-CMClientStatusSummary",
        CLASS.format("GetClientStatusSummary"),
        get_client_status_summary,
        (_SITE, Param("Account")),
        module=_CM,
    ),
)
