"""Cmdlets the step modules need: Remove-ItemProperty, Remove/Set-LocalUser, Set-ADUser."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend

from .conftest import call, failed, ok, only_error, run

KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
NATIVE = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
VALUE = "Site Config Last Checked"
NS = "Microsoft.PowerShell.Commands."
AD = "Microsoft.ActiveDirectory.Management."


def test_remove_item_property_deletes_the_value(tb1: DomainBackend) -> None:
    """Remove-ItemProperty deletes one value (any case of its name) and writes no output."""
    assert ok(run(tb1, "WKS0001", call("Remove-ItemProperty", KEY, VALUE.upper()))) == []
    assert tb1.registry_value("WKS0001", KEY, VALUE) is None


def test_remove_item_property_missing_value(tb1: DomainBackend) -> None:
    """A missing value: PSArgumentException naming the native hive, non-terminating."""
    record = only_error(run(tb1, "WKS0001", call("Remove-ItemProperty", KEY, "Nope")))
    assert record.message == f"Property Nope does not exist at path {NATIVE}."
    assert record.fully_qualified_error_id == (
        "System.Management.Automation.PSArgumentException," + NS + "RemoveItemPropertyCommand"
    )


def test_remove_item_property_missing_key(tb1: DomainBackend) -> None:
    """A missing key: PathNotFound with the RemoveItemPropertyCommand suffix."""
    path = "HKLM:\\Software\\Nowhere"
    record = only_error(run(tb1, "WKS0001", call("Remove-ItemProperty", path, "X")))
    assert record.fully_qualified_error_id == "PathNotFound," + NS + "RemoveItemPropertyCommand"


def test_remove_item_property_wildcard_without_match_is_silent(tb1: DomainBackend) -> None:
    """A wildcard name that matches nothing is no error; one that matches removes them all."""
    assert ok(run(tb1, "WKS0001", call("Remove-ItemProperty", KEY, "Nothing*"))) == []
    ok(run(tb1, "WKS0001", call("Remove-ItemProperty", KEY, "Site*")))
    assert tb1.registry_value("WKS0001", KEY, VALUE) is None


def test_remove_item_property_honours_what_if(tb1: DomainBackend) -> None:
    """-WhatIf leaves the value in place."""
    ok(run(tb1, "WKS0001", call("Remove-ItemProperty", KEY, VALUE, WhatIf=None)))
    assert tb1.registry_value("WKS0001", KEY, VALUE) is not None


def test_remove_local_user_deletes_it_and_its_memberships(tb1: DomainBackend) -> None:
    """Remove-LocalUser deletes the account; a second removal is UserNotFound."""
    ok(run(tb1, "CAP1", call("New-LocalUser", "temp1", NoPassword=None)))
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", SID="S-1-5-32-545", Member=["CAP1\\temp1"])))
    ok(run(tb1, "CAP1", call("Remove-LocalUser", "temp1")))
    assert tb1.local_account("CAP1", "temp1") is None
    members = ok(run(tb1, "CAP1", call("Get-LocalGroupMember", SID="S-1-5-32-545")))
    assert all(m.properties["Name"] != "CAP1\\temp1" for m in members)
    record = only_error(run(tb1, "CAP1", call("Remove-LocalUser", "temp1")))
    assert record.fully_qualified_error_id == "UserNotFound," + NS + "RemoveLocalUserCommand"


def test_remove_local_user_refuses_built_in_accounts(tb1: DomainBackend) -> None:
    """Guest (RID 501) cannot be deleted: STATUS_SPECIAL_ACCOUNT as InternalException [U]."""
    guest = tb1.local_account("CAP1", "Guest")
    assert guest is not None
    record = only_error(run(tb1, "CAP1", call("Remove-LocalUser", SID=guest.sid)))
    assert record.fully_qualified_error_id == "Internal," + NS + "RemoveLocalUserCommand"
    assert tb1.local_account("CAP1", "Guest") is not None


def test_set_local_user_description(tb1: DomainBackend) -> None:
    """Set-LocalUser -Description changes it and writes no output."""
    assert ok(run(tb1, "CAP1", call("Set-LocalUser", "Guest", Description="closed"))) == []
    user = ok(run(tb1, "CAP1", call("Get-LocalUser", "Guest")))[0]
    assert user.properties["Description"] == "closed"


def test_set_ad_user_password_never_expires(tb1: DomainBackend) -> None:
    """Set-ADUser -PasswordNeverExpires $false is visible through -Properties."""
    ok(run(tb1, "DC1", call("Set-ADUser", "SMSClient_TB1", PasswordNeverExpires=False)))
    user = ok(
        run(tb1, "DC1", call("Get-ADUser", "SMSClient_TB1", Properties=["PasswordNeverExpires"]))
    )[0]
    assert user.properties["PasswordNeverExpires"] is False


def test_set_ad_user_unknown_identity_is_terminating(tb1: DomainBackend) -> None:
    """Set-ADUser on a missing account: terminating ADIdentityNotFoundException."""
    record = failed(run(tb1, "DC1", call("Set-ADUser", "nobody", Description="x")))
    assert record.fully_qualified_error_id == (
        "ActiveDirectoryCmdlet:" + AD + "ADIdentityNotFoundException," + AD + "Commands.SetADUser"
    )
