"""The SMS site cmdlets (invented in ConfigMgr's style; see cmdlets/sms.py)."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import SecureString

from .conftest import call, failed, ok, only_error, run

CLASS = "Microsoft.ConfigurationManagement.Cmdlets.Sms."


def _accounts(lab: DomainBackend) -> list[str]:
    return [
        a.properties["UserName"]
        for a in ok(run(lab, "SITE1", call("Get-CMClientConnectionAccount")))
    ]


def test_list_add_remove_connection_accounts(tb1: DomainBackend) -> None:
    """Accounts are listed in try order; new ones go last; removal drops them."""
    assert _accounts(tb1) == ["CONTOSO\\SMSClient_TB1"]
    ok(
        run(
            tb1,
            "SITE1",
            call("New-CMClientConnectionAccount", "CONTOSO\\SMSClient2_TB1", SiteCode="TB1"),
        )
    )
    assert _accounts(tb1) == ["CONTOSO\\SMSClient_TB1", "CONTOSO\\SMSClient2_TB1"]
    ok(run(tb1, "SITE1", call("Remove-CMClientConnectionAccount", "CONTOSO\\SMSClient_TB1")))
    assert _accounts(tb1) == ["CONTOSO\\SMSClient2_TB1"]


def test_account_errors(tb1: DomainBackend) -> None:
    """Adding twice is AccountExists, removing a missing one AccountNotFound; bad site fails."""
    dup = only_error(
        run(tb1, "SITE1", call("New-CMClientConnectionAccount", "CONTOSO\\SMSClient_TB1"))
    )
    assert (
        dup.fully_qualified_error_id
        == "AccountExists," + CLASS + "NewClientConnectionAccountCommand"
    )
    assert dup.category == "ResourceExists"
    gone = only_error(run(tb1, "SITE1", call("Remove-CMClientConnectionAccount", "CONTOSO\\x")))
    assert (
        gone.fully_qualified_error_id
        == "AccountNotFound," + CLASS + "RemoveClientConnectionAccountCommand"
    )
    site = failed(run(tb1, "SITE1", call("Get-CMClientConnectionAccount", SiteCode="XYZ")))
    assert site.category == "ObjectNotFound"


def test_stored_password(tb1: DomainBackend) -> None:
    """-Password stores the site's own copy, which is what clients then learn."""
    ok(
        run(
            tb1,
            "SITE1",
            call(
                "Set-CMClientConnectionAccount",
                "CONTOSO\\SMSClient_TB1",
                Password=SecureString("Whatever-1"),
            ),
        )
    )
    account = ok(run(tb1, "SITE1", call("Get-CMClientConnectionAccount")))[0]
    assert account.properties["PasswordStored"] is True
    assert "Whatever" not in repr(account)


UNC_SHARE = "\\\\SITE1\\SMSLOGON"
UNC_SMSMAN = UNC_SHARE + "\\x86.bin\\00000409\\Smsman.exe"


def test_get_cm_site_describes_the_logon_methods_and_the_install_share(tb1: DomainBackend) -> None:
    """Get-CMSite returns one Lab.SMS.Site: logon methods, logon points, share and Smsman path."""
    (site,) = ok(run(tb1, "SITE1", call("Get-CMSite")))
    assert site.type_names[0] == "Lab.SMS.Site"
    assert site.properties == {
        "SiteCode": "TB1",
        "LogonDiscovery": True,
        "LogonInstallation": True,
        "LogonPoints": ["SITE1"],
        "LogonShare": UNC_SHARE,
        "SmsmanPath": UNC_SMSMAN,
    }
    assert (
        ok(run(tb1, "SITE1", call("Get-CMSite", SiteCode="tb1")))[0].properties["SiteCode"] == "TB1"
    )


def test_get_cm_site_smsman_path_is_a_file_the_share_holds(tb1: DomainBackend) -> None:
    """SmsmanPath names the file the logon point's share really holds; without it, null."""
    with tb1.inspect() as state:
        site1 = state.host("SITE1")
        assert site1 is not None
        share = site1.shares["smslogon"]
        assert site1.has_file(share.path + "\\x86.bin\\00000409\\Smsman.exe")
        site1.remove_file(share.path + "\\x86.bin\\00000409\\Smsman.exe")
    site = ok(run(tb1, "SITE1", call("Get-CMSite")))[0].properties
    assert (site["LogonShare"], site["SmsmanPath"]) == (UNC_SHARE, None)


def test_get_cm_site_without_logon_points_has_no_share(tb1: DomainBackend) -> None:
    """A site with no logon point: LogonPoints empty, LogonShare and SmsmanPath null."""
    with tb1.inspect() as state:
        assert state.site is not None
        state.site.logon_points = []
    site = ok(run(tb1, "SITE1", call("Get-CMSite")))[0].properties
    assert (site["LogonPoints"], site["LogonShare"], site["SmsmanPath"]) == ([], None, None)


def test_get_cm_site_unknown_site_and_other_hosts(tb1: DomainBackend) -> None:
    """An unknown -SiteCode is the site cmdlets' terminating SiteNotFound; off the site server
    the cmdlet does not exist."""
    record = failed(run(tb1, "SITE1", call("Get-CMSite", SiteCode="XYZ")))
    assert record.fully_qualified_error_id == "SiteNotFound," + CLASS + "GetSiteCommand"
    assert record.category == "ObjectNotFound"
    assert record.message == "Site code XYZ is not a site of this SMS provider."
    missing = failed(run(tb1, "WKS0001", call("Get-CMSite")))
    assert missing.fully_qualified_error_id == "CommandNotFoundException"


def test_get_cm_site_changes_nothing(tb1: DomainBackend) -> None:
    """Get-CMSite is read-only: the domain's digest is unchanged."""
    before = tb1.state_digest()
    ok(run(tb1, "SITE1", call("Get-CMSite")))
    assert tb1.state_digest() == before
