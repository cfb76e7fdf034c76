"""Registry provider cmdlets on HKLM: and Test-Path."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.registry import RegistryValueKind

from .conftest import SWITCH, call, failed, ok, only_error, run

KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
NATIVE = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
VALUE = "Site Config Last Checked"
NS = "Microsoft.PowerShell.Commands."


def test_get_item_property_returns_the_value_and_ps_properties(tb1: DomainBackend) -> None:
    """Get-ItemProperty returns a PSCustomObject with the value and PSPath & co."""
    item = ok(run(tb1, "WKS0001", call("Get-ItemProperty", KEY, VALUE)))[0]
    assert item.properties[VALUE] == "2000/01/01 15:00.00"
    assert item.properties["PSPath"] == "Microsoft.PowerShell.Core\\Registry::" + NATIVE
    assert item.properties["PSChildName"] == "TB1"
    assert item.properties["PSDrive"] == "HKLM"


def test_missing_key_is_path_not_found(tb1: DomainBackend) -> None:
    """A missing key: PathNotFound (ItemNotFoundException), non-terminating."""
    path = "HKLM:\\Software\\Nowhere"
    record = only_error(run(tb1, "WKS0001", call("Get-ItemProperty", path)))
    assert record.message == f"Cannot find path '{path}' because it does not exist."
    assert record.fully_qualified_error_id == "PathNotFound," + NS + "GetItemPropertyCommand"
    assert record.exception_type == "System.Management.Automation.ItemNotFoundException"


def test_missing_value_names_the_native_hive(tb1: DomainBackend) -> None:
    """A missing value: PSArgumentException whose message uses HKEY_LOCAL_MACHINE."""
    record = only_error(run(tb1, "WKS0001", call("Get-ItemProperty", KEY, "Nope")))
    assert record.message == f"Property Nope does not exist at path {NATIVE}."
    assert record.fully_qualified_error_id == (
        "System.Management.Automation.PSArgumentException," + NS + "GetItemPropertyCommand"
    )
    assert record.category == "InvalidArgument"


def test_set_item_property_keeps_the_existing_type(tb1: DomainBackend) -> None:
    """Writing an int into a REG_SZ keeps REG_SZ; into a DWORD converts to a number."""
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, 5)))
    value = tb1.registry_value("WKS0001", KEY, VALUE)
    assert value is not None
    assert (value.kind, value.data) == (RegistryValueKind.String, "5")
    ok(run(tb1, "WKS0001", call("New-ItemProperty", KEY, "Count", PropertyType="DWord", Value=1)))
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, "Count", "7")))
    count = tb1.registry_value("WKS0001", KEY, "Count")
    assert count is not None
    assert (count.kind, count.data) == (RegistryValueKind.DWord, 7)


def test_set_item_property_creates_and_converts(tb1: DomainBackend) -> None:
    """A new value without -Type takes the value's type; a bad conversion is an error."""
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", KEY, "Fresh", "text")))
    fresh = tb1.registry_value("WKS0001", KEY, "Fresh")
    assert fresh is not None
    assert fresh.kind is RegistryValueKind.String
    record = only_error(
        run(tb1, "WKS0001", call("Set-ItemProperty", KEY, "Fresh", "x", Type="DWord"))
    )
    assert record.exception_type == "System.ArgumentException"


def test_set_item_property_missing_key(tb1: DomainBackend) -> None:
    """Set-ItemProperty on a missing key: PathNotFound from SetItemPropertyCommand."""
    record = only_error(run(tb1, "WKS0001", call("Set-ItemProperty", "HKLM:\\Nope", "a", "b")))
    assert record.fully_qualified_error_id == "PathNotFound," + NS + "SetItemPropertyCommand"


def test_new_item_property_exists_unless_forced(tb1: DomainBackend) -> None:
    """New-ItemProperty on an existing value: IOException 'The property already exists.'."""
    record = only_error(run(tb1, "WKS0001", call("New-ItemProperty", KEY, VALUE, Value="x")))
    assert record.message == "The property already exists."
    assert (
        record.fully_qualified_error_id == "System.IO.IOException," + NS + "NewItemPropertyCommand"
    )
    assert record.category == "ResourceExists"
    item = ok(run(tb1, "WKS0001", call("New-ItemProperty", KEY, VALUE, Value="x", Force=SWITCH)))
    assert item[0].properties[VALUE] == "x"


def test_test_path(tb1: DomainBackend) -> None:
    """Test-Path: keys yes, values no, files by PathType, never an error."""
    results = ok(run(tb1, "WKS0001", call("Test-Path", [KEY, KEY + "\\" + VALUE, "HKLM:\\Nope"])))
    assert results == [True, False, False]
    smsman = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"
    assert ok(run(tb1, "WKS0001", call("Test-Path", smsman, PathType="Leaf"))) == [True]
    assert ok(run(tb1, "WKS0001", call("Test-Path", smsman, PathType="Container"))) == [False]
    assert ok(run(tb1, "WKS0001", call("Test-Path", "C:\\WINNT\\MS", PathType="Container"))) == [
        True
    ]


def test_unc_path_from_a_remote_session_is_false(tb1: DomainBackend) -> None:
    """The double hop: a WinRM session has no network credentials for \\\\LP\\smslogon."""
    unc = "\\\\SITE1\\SMSLOGON\\x86.bin\\00000409\\Smsman.exe"
    assert ok(run(tb1, "WKS0001", call("Test-Path", unc))) == [False]
    with tb1.inspect() as state:
        state.fidelity = state.fidelity.with_overrides(double_hop_enforced=False)
    assert ok(run(tb1, "WKS0001", call("Test-Path", unc))) == [True]


def test_set_item_property_what_if(tb1: DomainBackend) -> None:
    """-WhatIf on Set-ItemProperty names the item and property and changes nothing."""
    result = run(tb1, "WKS0001", call("Set-ItemProperty", KEY, VALUE, "x", WhatIf=SWITCH))
    assert result.verbose == [
        f'What if: Performing the operation "Set Property" on target "Item: {NATIVE} Property: {VALUE}".'
    ]
    value = tb1.registry_value("WKS0001", KEY, VALUE)
    assert value is not None
    assert value.data == "2000/01/01 15:00.00"


def test_bad_path_to_set_is_not_found(tb1: DomainBackend) -> None:
    """Set-ItemProperty with -ErrorAction Stop on a missing key is terminating."""
    record = failed(
        run(tb1, "WKS0001", call("Set-ItemProperty", "HKLM:\\Nope", "a", "b", ErrorAction="Stop"))
    )
    assert record.fully_qualified_error_id == "PathNotFound," + NS + "SetItemPropertyCommand"
