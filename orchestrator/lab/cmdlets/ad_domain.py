"""ActiveDirectory domain-wide queries: Get-ADDomain, Search-ADAccount, Get-ADOptionalFeature.

Get-ADOptionalFeature lists the forest's optional features; a feature is on when its
EnabledScopes is non-empty (see richardjgreen.net, "Active Directory 2016 Time-Based Group
Membership"). The Privileged Access Management Feature follows the
domain's `pam_enabled` (a scenario's `domain.pam`); the Recycle Bin Feature is listed, never
enabled (the lab has no recycle bin). -Filter understands `*` and clauses on Name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from orchestrator.lab.cmdlets import ad_filter
from orchestrator.lab.cmdlets.ad_common import AD, account_object, cls, is_locked, not_found
from orchestrator.lab.cmdlets.ad_users import FILTER_PARSING
from orchestrator.lab.cmdlets.objects import identity_text, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain.accounts import UserAccount, object_guid
from orchestrator.lab.domain.host import Module, Role

_FEATURE_TYPES = (AD + "ADOptionalFeature", AD + "ADObject", AD + "ADEntity", "System.Object")
_FEATURES_CONTAINER = "CN=Optional Features,CN=Directory Service,CN=Windows NT,CN=Services"


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
        return user.lockout_time is not None  # lockoutTime >= 1: stale after expiry (Lockout-Time)
    return is_locked(inv.state.ad, user, inv.state.now())


def search_ad_account(inv: Invocation) -> None:
    """Search-ADAccount -LockedOut | -AccountDisabled [-UsersOnly]."""
    for user in inv.state.ad.store.users():
        if inv.args.flag("LockedOut") and not _locked(inv, user):
            continue
        if inv.args.flag("AccountDisabled") and user.enabled:
            continue
        inv.write(account_object(inv, user))


@dataclass(frozen=True)
class _Feature:
    """An msDS-OptionalFeature object (forest-wide, neither can be disabled once on)."""

    name: str
    guid: str  # msDS-OptionalFeatureGUID, the same in every forest
    forest_mode: str  # RequiredForestMode


_RECYCLE_BIN = _Feature(
    "Recycle Bin Feature", "766ddcd8-acd0-445e-f3b9-a7f9b6744f2a", "Windows2008R2Forest"
)
PAM = _Feature(
    "Privileged Access Management Feature",
    "ec43e873-cce8-4640-b4ab-07ffe4ab5bcd",
    "Windows2016Forest",
)


def _configuration(inv: Invocation) -> str:
    return f"CN=Configuration,{inv.state.ad.dn}"


def _enabled_scopes(inv: Invocation, feature: _Feature) -> list[str]:
    """The partitions container and every DC's NTDS Settings, once the feature is on."""
    if feature is not PAM or not inv.state.ad.pam_enabled:
        return []
    config = _configuration(inv)
    dcs = [h.name for h in inv.state.hosts.values() if h.has_role(Role.DOMAIN_CONTROLLER)]
    servers = f"CN=Servers,CN=Default-First-Site-Name,CN=Sites,{config}"
    return [f"CN=Partitions,{config}", *(f"CN=NTDS Settings,CN={dc},{servers}" for dc in dcs)]


def _feature_object(inv: Invocation, feature: _Feature) -> PSObject:
    dn = f"CN={feature.name},{_FEATURES_CONTAINER},{_configuration(inv)}"
    props = {
        "DistinguishedName": dn,
        "EnabledScopes": _enabled_scopes(inv, feature),
        "FeatureGUID": feature.guid,
        "FeatureScope": ["ForestOrConfigurationSet"],
        "IsDisableable": False,
        "Name": feature.name,
        "ObjectClass": "msDS-OptionalFeature",
        "ObjectGUID": str(uuid.uuid5(uuid.NAMESPACE_OID, dn.lower())),
        "RequiredDomainMode": None,
        "RequiredForestMode": feature.forest_mode,
    }
    return ps(_FEATURE_TYPES, props, dn)


def _is(feature: _Feature, identity: str, dn: str) -> bool:
    wanted = identity.strip().strip("{}").lower()
    return wanted in (feature.name.lower(), feature.guid, dn.lower())


def _name_clauses(text: str) -> list[ad_filter.Clause]:
    clauses = ad_filter.parse(text)
    if any(c.attribute != "name" for c in clauses):
        raise ad_filter.FilterError(text)  # the lab's subset: Name only
    return clauses


def _filtered(inv: Invocation, text: str) -> list[_Feature]:
    try:
        clauses = _name_clauses(text)
    except ad_filter.FilterError:
        inv.fail(
            inv.record(
                f"Error parsing query: '{text}' Error Message: 'syntax error' at position: '1'.",
                FILTER_PARSING,
                text,
                "String",
            )
        )
    features = (_RECYCLE_BIN, PAM)
    return [f for f in features if all(ad_filter.holds(c, f.name) for c in clauses)]


def get_ad_optional_feature(inv: Invocation) -> None:
    """Get-ADOptionalFeature -Identity (name, GUID or DN; terminating not-found) | -Filter."""
    if inv.args.has("Filter"):
        for feature in _filtered(inv, inv.args.text("Filter")):
            inv.write(_feature_object(inv, feature))
        return
    identity = identity_text(inv.args.get("Identity"), "FeatureGUID", "DistinguishedName")
    for feature in (_RECYCLE_BIN, PAM):
        found = _feature_object(inv, feature)
        if _is(feature, identity, str(found.properties["DistinguishedName"])):
            inv.write(found)
            return
    inv.fail(not_found(inv, identity, "ADOptionalFeature"))


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
    CmdletSpec(
        "Get-ADOptionalFeature",
        cls("GetADOptionalFeature"),
        get_ad_optional_feature,
        (Param("Identity", position=0), Param("Filter"), Param("Server")),
        module=_AD,
        one_of=(("Identity", "Filter"),),
        require_one=("Identity", "Filter"),
    ),
)
