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
