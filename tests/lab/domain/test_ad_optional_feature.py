"""Get-ADOptionalFeature: the forest's optional features, PAM on when EnabledScopes is set."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend

from .conftest import call, failed, ok, run

PAM = "Privileged Access Management Feature"
PAM_GUID = "ec43e873-cce8-4640-b4ab-07ffe4ab5bcd"
AD = "Microsoft.ActiveDirectory.Management."


def test_the_pam_feature_is_listed_off_by_default(tb1: DomainBackend) -> None:
    """-Filter "Name -like 'Privileged*'" returns the PAM feature alone, EnabledScopes empty."""
    (feature,) = ok(
        run(tb1, "DC1", call("Get-ADOptionalFeature", Filter="Name -like 'Privileged*'"))
    )
    props = feature.properties
    assert (props["Name"], props["FeatureGUID"], props["EnabledScopes"]) == (PAM, PAM_GUID, [])
    assert props["RequiredForestMode"] == "Windows2016Forest"
    assert props["IsDisableable"] is False
    assert feature.type_names[0] == AD + "ADOptionalFeature"


def test_enabled_scopes_follow_the_domain_pam_flag(tb1: DomainBackend) -> None:
    """With PAM on, EnabledScopes names the partitions container and the DC's NTDS Settings."""
    with tb1.inspect() as state:
        state.ad.pam_enabled = True
    (feature,) = ok(run(tb1, "DC1", call("Get-ADOptionalFeature", PAM)))
    config = "CN=Configuration,DC=contoso,DC=com"
    site = f"CN=Default-First-Site-Name,CN=Sites,{config}"
    assert feature.properties["EnabledScopes"] == [
        f"CN=Partitions,{config}",
        f"CN=NTDS Settings,CN=DC1,CN=Servers,{site}",
    ]


def test_every_feature_and_identities(tb1: DomainBackend) -> None:
    """-Filter * lists both features; -Identity takes a name, the feature GUID or the DN."""
    names = [
        f.properties["Name"] for f in ok(run(tb1, "DC1", call("Get-ADOptionalFeature", Filter="*")))
    ]
    assert names == ["Recycle Bin Feature", PAM]
    (by_guid,) = ok(run(tb1, "DC1", call("Get-ADOptionalFeature", Identity=PAM_GUID)))
    dn = by_guid.properties["DistinguishedName"]
    (by_dn,) = ok(run(tb1, "DC1", call("Get-ADOptionalFeature", Identity=dn)))
    assert by_dn.properties["Name"] == PAM


def test_a_missing_feature_and_a_bad_filter_are_terminating(tb1: DomainBackend) -> None:
    """An unknown identity is ADIdentityNotFound; a filter outside the lab's subset a parse error."""
    missing = failed(run(tb1, "DC1", call("Get-ADOptionalFeature", Identity="Nope Feature")))
    assert missing.fully_qualified_error_id == (
        f"ActiveDirectoryCmdlet:{AD}ADIdentityNotFoundException,{AD}Commands.GetADOptionalFeature"
    )
    bad = failed(run(tb1, "DC1", call("Get-ADOptionalFeature", Filter="Name -like")))
    assert bad.fully_qualified_error_id.startswith("ActiveDirectoryCmdlet:" + AD + "ADFilter")


def test_only_where_the_ad_module_is(tb1: DomainBackend) -> None:
    """A member server without RSAT does not know the cmdlet."""
    record = failed(run(tb1, "CAP1", call("Get-ADOptionalFeature", Filter="*")))
    assert record.fully_qualified_error_id.startswith("CommandNotFoundException")
