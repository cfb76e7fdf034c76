"""registry against the lab: every REG_ type, the unreadable type, undo of old values."""

from __future__ import annotations

import pytest

from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.registry import RegistryValueKind
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import DiffKind

from .conftest import Host, args, changed_then_ok, undone

KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
LAST = "Site Config Last Checked"
NS = "Microsoft.PowerShell.Commands."

VALUES = [
    ("REG_SZ", "2000/06/13 06:28.53", RegistryValueKind.String, "2000/06/13 06:28.53"),
    ("REG_EXPAND_SZ", "C:\\plain", RegistryValueKind.ExpandString, "C:\\plain"),
    ("REG_BINARY", "01 a0 ff", RegistryValueKind.Binary, b"\x01\xa0\xff"),
    # 0xFFFFFFFF goes as Int32 -1 (SetValue's Convert.ToInt32 refuses 4294967295): same bits
    ("REG_DWORD", 4294967295, RegistryValueKind.DWord, -1),
    ("REG_QWORD", 2**40, RegistryValueKind.QWord, 2**40),
    ("REG_QWORD", 2**64 - 1, RegistryValueKind.QWord, -1),
    ("REG_MULTI_SZ", ["a", "b"], RegistryValueKind.MultiString, ("a", "b")),
]


@pytest.mark.parametrize(
    ("kind", "value", "stored_kind", "stored"), VALUES, ids=[f"{v[0]}={v[1]}" for v in VALUES]
)
def test_every_type_is_created_once(
    lab: DomainBackend, kind: str, value: object, stored_kind: RegistryValueKind, stored: object
) -> None:
    """A new value of each REG_ type is written with its kind; a second run is ok."""
    host = Host(lab, "WKS0001")
    changed_then_ok(
        host, "registry", args("registry", path=KEY, name="Test", type=kind, value=value)
    )
    found = lab.registry_value("WKS0001", KEY, "Test")
    assert found is not None
    assert (found.kind, found.data) == (stored_kind, stored)
    assert host.mutations()[0].startswith("New-ItemProperty")


def test_backdating_site_config_last_checked(lab: DomainBackend) -> None:
    """An existing REG_SZ is overwritten with Set-ItemProperty -Type String (method 2)."""
    host = Host(lab, "WKS0001")
    given = args("registry", path=KEY, name=LAST, type="REG_SZ", value="1999/10/01 00:00.00")
    outcome = changed_then_ok(host, "registry", given)
    assert outcome.diff.before == {"exists": True, "value": "2000/01/01 15:00.00"}
    assert host.mutations() == [
        (
            f"Set-ItemProperty -Path '{KEY}' -Name '{LAST}' -Value '1999/10/01 00:00.00'"
            " -Type 'String' -ErrorAction 'Stop'"
        )
    ]


def test_an_equal_value_says_its_type_was_not_checked(lab: DomainBackend) -> None:
    """Same data: no change, and the diff says a REG_EXPAND_SZ would look the same."""
    given = args("registry", path=KEY, name=LAST, type="REG_SZ", value="2000/01/01 15:00.00")
    outcome = Host(lab, "WKS0001").step("registry", given)
    assert outcome.status is Status.OK
    assert "its type cannot be read" in outcome.diff.summary


def test_an_expandable_text_cannot_be_compared(lab: DomainBackend) -> None:
    """A REG_EXPAND_SZ with %VAR% reads back expanded: the diff is unknown."""
    host = Host(lab, "WKS0001")
    given = args("registry", path=KEY, name="Dir", type="REG_EXPAND_SZ", value="%SystemRoot%\\x")
    host.step("registry", given)
    outcome = host.step("registry", given)
    assert outcome.diff.kind is DiffKind.UNKNOWN
    assert "reads back expanded" in outcome.diff.reason


def test_undo_restores_the_old_text(lab: DomainBackend) -> None:
    """Undo writes the old REG_SZ back: a new probe reads what it read before."""
    given = args("registry", path=KEY, name=LAST, type="REG_SZ", value="1999/10/01 00:00.00")
    undone(Host(lab, "WKS0001"), "registry", given)
    found = lab.registry_value("WKS0001", KEY, LAST)
    assert found is not None
    assert found.kind is RegistryValueKind.String


def test_undo_of_a_new_value_removes_it(lab: DomainBackend) -> None:
    """A value that did not exist is removed again by Remove-ItemProperty."""
    undone(
        Host(lab, "WKS0001"),
        "registry",
        args("registry", path=KEY, name="New", type="REG_DWORD", value=1),
    )
    assert lab.registry_value("WKS0001", KEY, "New") is None


def test_removing_a_value_and_undoing_it(lab: DomainBackend) -> None:
    """absent removes the value (a rerun is ok); the undo re-creates it with its data."""
    host = Host(lab, "WKS0001")
    given = args("registry", path=KEY, name=LAST, state="absent")
    before = host.probe("registry", given)
    outcome = changed_then_ok(host, "registry", given)
    host.undo(outcome.undo)
    assert host.probe("registry", given) == before


def test_a_type_change_is_a_change(lab: DomainBackend) -> None:
    """A REG_SZ '5' wanted as REG_DWORD 5 differs (the data's shape shows the type)."""
    host = Host(lab, "WKS0001")
    host.step("registry", args("registry", path=KEY, name="N", type="REG_SZ", value="5"))
    outcome = changed_then_ok(
        host, "registry", args("registry", path=KEY, name="N", type="REG_DWORD", value=5)
    )
    assert outcome.diff.before == {"exists": True, "value": "5"}
    found = lab.registry_value("WKS0001", KEY, "N")
    assert found is not None
    assert found.kind is RegistryValueKind.DWord


def test_a_missing_key_fails_with_path_not_found(lab: DomainBackend) -> None:
    """The key must exist: New-ItemProperty fails with PathNotFound, as the diff warned."""
    host = Host(lab, "WKS0001")
    given = args("registry", path="HKLM:\\Software\\Nowhere", name="X", type="REG_SZ", value="y")
    state = host.probe("registry", given)
    diff = MODULES["registry"].implementation.diff(given, state)
    assert "the key does not exist" in diff.summary
    with pytest.raises(RemoteError) as info:
        host.step("registry", given)
    assert info.value.fq_error_id == "PathNotFound," + NS + "NewItemPropertyCommand"


@pytest.mark.parametrize(
    ("path", "name", "exists"),
    [
        ("HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1", LAST, True),
        ("HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1", "No such value", False),
        ("HKLM:\\Software\\Nowhere", "X", False),
    ],
)
def test_a_probe_is_one_pipeline(lab: DomainBackend, path: str, name: str, exists: bool) -> None:
    """A value, a missing value, a missing key: one Get-ItemProperty each, told apart."""
    host = Host(lab, "WKS0001")
    state = host.probe("registry", args("registry", path=path, name=name, state="absent"))
    assert [c.cmdlet for c in host.sent] == ["Get-ItemProperty"]
    assert state.exists is exists
    assert state.key_exists is (path.endswith("TB1"))
