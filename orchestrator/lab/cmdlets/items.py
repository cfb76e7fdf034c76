"""Registry provider cmdlets on HKLM: and Test-Path.

Errors are non-terminating. Set-ItemProperty keeps an existing value's type and converts the
new value to it (PowerShell's RegistryProvider.cs); New-ItemProperty refuses an existing
value unless -Force; Remove-ItemProperty reports a missing value as Get-ItemProperty does. Test-Path
tests keys (not values) on the registry, files on disk, and a UNC path from a remote session is
$false because of the double hop ("Making the second hop in PowerShell Remoting").
"""

from __future__ import annotations

from typing import Any

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import has_wildcard, like, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain import network
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.registry import (
    RegistryValueKind,
    RegKey,
    RegValue,
    native_path,
)

NS = "Microsoft.PowerShell.Commands."
PROVIDER = "Microsoft.PowerShell.Core\\Registry"
KINDS = tuple(k.name for k in RegistryValueKind)
_MISMATCH = (
    "The type of the value object did not match the specified RegistryValueKind or the object "
    "could not be properly converted."
)


class _MismatchError(ValueError):
    pass


def _path_not_found(inv: Invocation, path: str) -> None:
    inv.write_error(
        inv.record(
            f"Cannot find path '{path}' because it does not exist.",
            ErrorKind(
                "PathNotFound",
                "ObjectNotFound",
                "System.Management.Automation.ItemNotFoundException",
            ),
            path,
            "String",
        )
    )


def _key(inv: Invocation, path: str) -> RegKey | None:
    native = native_path(path)
    key = inv.host.registry.key(native) if native else None
    if key is None:
        _path_not_found(inv, path)
    return key


def _shown(host: Host, value: RegValue) -> Any:
    if value.kind is RegistryValueKind.ExpandString and isinstance(value.data, str):
        return value.data.replace("%SystemRoot%", host.windir).replace("%WinDir%", host.windir)
    if value.kind is RegistryValueKind.MultiString and isinstance(value.data, tuple):
        return list(value.data)
    return value.data


def item_object(host: Host, key: RegKey, names: list[str]) -> PSObject:
    """The PSCustomObject Get-ItemProperty returns: values plus PSPath & co."""
    props: dict[str, Any] = {}
    for name in names:
        found = key.get(name)
        if found is not None:
            props[found[0]] = _shown(host, found[1])
    parent, _, child = key.path.rpartition("\\")
    props.update(
        {
            "PSPath": f"{PROVIDER}::{key.path}",
            "PSParentPath": f"{PROVIDER}::{parent}",
            "PSChildName": child,
            "PSDrive": "HKLM",
            "PSProvider": PROVIDER,
        }
    )
    return ps(("System.Management.Automation.PSCustomObject", "System.Object"), props)


def _no_property(inv: Invocation, key: RegKey, name: str) -> None:
    # the message names the native hive (HKEY_LOCAL_MACHINE), not the drive, as Windows does
    inv.write_error(
        inv.record(
            f"Property {name} does not exist at path {key.path}.",
            ErrorKind(
                "System.Management.Automation.PSArgumentException",
                "InvalidArgument",
                "System.Management.Automation.PSArgumentException",
            ),
            name,
            "String",
        )
    )


def get_item_property(inv: Invocation) -> None:
    """Get-ItemProperty -Path [-Name]: PathNotFound / PSArgumentException, non-terminating."""
    for path in inv.args.texts("Path"):
        key = _key(inv, path)
        if key is None:
            continue
        names = list(inv.args.texts("Name")) or [stored for stored, _ in key.values.values()]
        present = []
        for name in names:
            if key.get(name) is None:
                _no_property(inv, key, name)
            else:
                present.append(name)
        if present:
            inv.write(item_object(inv.host, key, present))


def _infer(value: Any) -> RegistryValueKind:
    if isinstance(value, bytes):
        return RegistryValueKind.Binary
    if isinstance(value, (list, tuple)):
        return RegistryValueKind.MultiString
    if isinstance(value, int) and not isinstance(value, bool):
        fits = -(2**31) <= value < 2**31
        return RegistryValueKind.DWord if fits else RegistryValueKind.QWord
    return RegistryValueKind.String


def convert(kind: RegistryValueKind, value: Any) -> RegValue:
    """Convert a value to a registry kind, as RegistryKey.SetValue would."""
    try:
        if kind in (RegistryValueKind.DWord, RegistryValueKind.QWord):
            data: Any = int(value)
            limit = 2**32 if kind is RegistryValueKind.DWord else 2**64
            if not -(limit // 2) <= data < limit:
                raise _MismatchError
        elif kind is RegistryValueKind.MultiString:
            items = value if isinstance(value, (list, tuple)) else [value]
            data = tuple(str(v) for v in items)
        elif kind is RegistryValueKind.Binary:
            data = bytes(value)
        else:
            data = "" if value is None else _text(value)
    except (TypeError, ValueError) as exc:
        raise _MismatchError from exc
    return RegValue(kind, data)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple, bytes)):
        raise _MismatchError
    return str(value)


def _mismatch(inv: Invocation, name: str) -> None:
    inv.write_error(
        inv.record(
            _MISMATCH,
            ErrorKind("System.ArgumentException", "InvalidArgument", "System.ArgumentException"),
            name,
            "String",
        )
    )


def _target(key: RegKey, name: str) -> str:
    return f"Item: {key.path} Property: {name}"


def set_item_property(inv: Invocation) -> None:
    """Set-ItemProperty: creates a missing value, keeps an existing value's type (PowerShell's
    RegistryProvider.cs)."""
    name, value = inv.args.text("Name"), inv.args.get("Value")
    for path in inv.args.texts("Path"):
        key = _key(inv, path)
        if key is None:
            continue
        existing = key.get(name)
        given = inv.args.get("Type")
        kind = (
            RegistryValueKind[given] if given else existing[1].kind if existing else _infer(value)
        )
        try:
            converted = convert(kind, value)
        except _MismatchError:
            _mismatch(inv, name)
            continue
        if inv.should_process(_target(key, name), "Set Property"):
            key.put(name, converted)
            if inv.args.flag("PassThru"):
                inv.write(item_object(inv.host, key, [name]))


def new_item_property(inv: Invocation) -> None:
    """New-ItemProperty: "The property already exists." (IOException) unless -Force."""
    name, value = inv.args.text("Name"), inv.args.get("Value")
    for path in inv.args.texts("Path"):
        key = _key(inv, path)
        if key is None:
            continue
        if key.get(name) is not None and not inv.args.flag("Force"):
            inv.write_error(
                inv.record(
                    "The property already exists.",
                    ErrorKind("System.IO.IOException", "ResourceExists", "System.IO.IOException"),
                    key.path,
                    "String",
                )
            )
            continue
        given = inv.args.get("PropertyType")
        kind = RegistryValueKind[given] if given else _infer(value)
        try:
            converted = convert(kind, value if value is not None else _empty(kind))
        except _MismatchError:
            _mismatch(inv, name)
            continue
        if inv.should_process(_target(key, name), "New Property"):
            key.put(name, converted)
            inv.write(item_object(inv.host, key, [name]))


def _matching(inv: Invocation, key: RegKey, name: str) -> list[str]:
    """Stored names matching `name` (wildcards allowed); an exact missing name is an error."""
    if has_wildcard(name):
        return [stored for stored, _ in key.values.values() if like(name, stored)]
    found = key.get(name)
    if found is None:
        _no_property(inv, key, name)
        return []
    return [found[0]]


def remove_item_property(inv: Invocation) -> None:
    """Remove-ItemProperty -Path -Name <string[]> (wildcards): missing value or key is a
    non-terminating error, like Get-ItemProperty's (the provider's RemoveProperty)."""
    for path in inv.args.texts("Path"):
        key = _key(inv, path)
        if key is None:
            continue
        for name in inv.args.texts("Name"):
            for stored in _matching(inv, key, name):
                if inv.should_process(_target(key, stored), "Remove Property"):
                    key.delete(stored)


def _empty(kind: RegistryValueKind) -> Any:
    if kind in (RegistryValueKind.DWord, RegistryValueKind.QWord):
        return 0
    return () if kind is RegistryValueKind.MultiString else ""


def _unc_exists(inv: Invocation, path: str, leaf: bool | None) -> bool:
    if inv.session.remote and inv.state.fidelity.double_hop_enforced:
        return False  # no network credentials in a WinRM session (the second hop)
    target = network.unc_target(inv.state, path)
    if isinstance(target, network.Access):
        return False
    return _file_exists(target.server, target.local_path, leaf)


def _file_exists(host: Host, path: str, leaf: bool | None) -> bool:
    is_file, is_dir = host.has_file(path), host.has_directory(path)
    return {None: is_file or is_dir, True: is_file, False: is_dir}[leaf]


def _exists(inv: Invocation, path: str, leaf: bool | None) -> bool:
    native = native_path(path)
    if native is not None:
        return leaf is not True and inv.host.registry.key(native) is not None
    if path.startswith(("\\\\", "//")):
        return _unc_exists(inv, path, leaf)
    return _file_exists(inv.host, path, leaf)


def test_path(inv: Invocation) -> None:
    """Test-Path -Path [-PathType Any|Container|Leaf]: a bool per path, never an error."""
    leaf = {"Any": None, "Container": False, "Leaf": True}[inv.args.text("PathType", "Any")]
    for path in inv.args.texts("Path"):
        inv.write(_exists(inv, path, leaf))


_PATH = Param("Path", Kind.STRINGS, mandatory=True, position=0, pipeline=True, aliases=("PSPath",))
_TYPE = "Microsoft.Win32.RegistryValueKind"
SPECS = (
    CmdletSpec(
        "Get-ItemProperty",
        NS + "GetItemPropertyCommand",
        get_item_property,
        (_PATH, Param("Name", Kind.STRINGS, position=1)),
    ),
    CmdletSpec(
        "Set-ItemProperty",
        NS + "SetItemPropertyCommand",
        set_item_property,
        (
            _PATH,
            Param("Name", mandatory=True, position=1),
            Param("Value", Kind.OBJECT, position=2),
            Param("Type", Kind.ENUM, choices=KINDS, enum_type=_TYPE),
            Param("PassThru", Kind.SWITCH),
            Param("Force", Kind.SWITCH),
        ),
        impact=Impact.MEDIUM,
    ),
    CmdletSpec(
        "New-ItemProperty",
        NS + "NewItemPropertyCommand",
        new_item_property,
        (
            _PATH,
            Param("Name", mandatory=True, position=1),
            Param("Value", Kind.OBJECT),
            Param("PropertyType", Kind.ENUM, aliases=("Type",), choices=KINDS, enum_type=_TYPE),
            Param("Force", Kind.SWITCH),
        ),
        impact=Impact.MEDIUM,
    ),
    CmdletSpec(
        "Remove-ItemProperty",
        NS + "RemoveItemPropertyCommand",
        remove_item_property,
        (
            _PATH,
            Param("Name", Kind.STRINGS, mandatory=True, position=1),
            Param("Force", Kind.SWITCH),
        ),
        impact=Impact.MEDIUM,
    ),
    CmdletSpec(
        "Test-Path",
        NS + "TestPathCommand",
        test_path,
        (
            _PATH,
            Param(
                "PathType",
                Kind.ENUM,
                choices=("Any", "Container", "Leaf"),
                enum_type=NS + "TestPathType",
            ),
            Param("IsValid", Kind.SWITCH),
        ),
    ),
)
