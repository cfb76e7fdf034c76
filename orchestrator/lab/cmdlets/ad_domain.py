"""ActiveDirectory domain-wide queries: Get-ADDomain, Search-ADAccount (§1.2)."""

from __future__ import annotations

from orchestrator.lab.cmdlets.ad_common import AD, account_object, cls, is_locked
from orchestrator.lab.cmdlets.objects import ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Invocation
from orchestrator.lab.domain.accounts import UserAccount, object_guid
from orchestrator.lab.domain.host import Module, Role


def _pdc(inv: Invocation) -> str:
    dcs = [h.name for h in inv.state.hosts.values() if h.has_role(Role.DOMAIN_CONTROLLER)]
    return f"{dcs[0].lower()}.{inv.state.ad.dns_root}" if dcs else ""


def get_ad_domain(inv: Invocation) -> None:
    """Get-ADDomain: the domain's names, SID (DomainSID) and containers."""
    ad = inv.state.ad
    pdc = _pdc(inv)
    props = {
        "ComputersContainer": f"CN=Computers,{ad.dn}",
        "DistinguishedName": ad.dn,
        "DNSRoot": ad.dns_root,
        "DomainMode": "Windows2016Domain",
        "DomainSID": ad.sid,
        "Forest": ad.dns_root,
        "InfrastructureMaster": pdc,
        "Name": ad.dns_root.split(".")[0],
        "NetBIOSName": ad.netbios,
        "ObjectClass": "domainDNS",
        "ObjectGUID": object_guid(ad.sid),
        "PDCEmulator": pdc,
        "RIDMaster": pdc,
        "UsersContainer": ad.users_container,
    }
    inv.write(
        ps(
            (
                AD + "ADDomain",
                AD + "ADPartition",
                AD + "ADObject",
                AD + "ADEntity",
                "System.Object",
            ),
            props,
            ad.dn,
        )
    )


def _locked(inv: Invocation, user: UserAccount) -> bool:
    if inv.state.fidelity.search_adaccount_stale_lockouts:
        return user.lockout_time is not None  # lockoutTime >= 1: stale after expiry (S14, S15)
    return is_locked(inv.state.ad, user, inv.state.now())


def search_ad_account(inv: Invocation) -> None:
    """Search-ADAccount -LockedOut | -AccountDisabled [-UsersOnly]."""
    for user in inv.state.ad.store.users():
        if inv.args.flag("LockedOut") and not _locked(inv, user):
            continue
        if inv.args.flag("AccountDisabled") and user.enabled:
            continue
        inv.write(account_object(inv, user))


_AD = Module.ACTIVE_DIRECTORY
_SETS = ("LockedOut", "AccountDisabled")
SPECS = (
    CmdletSpec(
        "Get-ADDomain",
        cls("GetADDomain"),
        get_ad_domain,
        (Param("Identity", position=0), Param("Server")),
        module=_AD,
    ),
    CmdletSpec(
        "Search-ADAccount",
        cls("SearchADAccount"),
        search_ad_account,
        (
            Param("LockedOut", Kind.SWITCH),
            Param("AccountDisabled", Kind.SWITCH),
            Param("UsersOnly", Kind.SWITCH),
            Param("SearchBase"),
            Param("Server"),
        ),
        module=_AD,
        one_of=(_SETS,),
        require_one=_SETS,
    ),
)
