"""registry: one registry value, e.g. the SMS client's "Site Config Last Checked" (method 2).

A value is read with one Get-ItemProperty: its "no such value" is a non-terminating
PSArgumentException, its "no such key" a PathNotFound (as Windows PowerShell 5.1 reports
them), so a step with nothing to change costs one pipeline. Neither tells a value's REG_
type: a REG_SZ and a REG_EXPAND_SZ (or a REG_DWORD and a REG_QWORD) holding the same data look
alike, a REG_EXPAND_SZ reads back expanded, and a REG_DWORD above 2^31 reads back negative
(Int32). The diff says so where it matters, and an undo restores the old value with the type
its data suggests. Set-ItemProperty keeps an existing value's type unless -Type
is given (PowerShell's RegistryProvider.cs), so apply always passes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from orchestrator.commands import Command
from orchestrator.modules.base import ArgsModel, ModuleSpec, State
from orchestrator.modules.logic import change, first, read, run
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext

RegType = Literal["REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_MULTI_SZ", "REG_QWORD"]
PATH_PATTERN = r"^(?:HKLM|HKEY_LOCAL_MACHINE|HKCU|HKEY_CURRENT_USER):?\\[^\\].*$"
_HIVES = {"HKEY_LOCAL_MACHINE": "HKLM", "HKEY_CURRENT_USER": "HKCU"}
_MAX = {"REG_DWORD": 2**32 - 1, "REG_QWORD": 2**64 - 1}
NO_SUCH_VALUE = "System.Management.Automation.PSArgumentException"
NO_SUCH_KEY = "PathNotFound"
# -Type / -PropertyType take Microsoft.Win32.RegistryValueKind names
KIND = {
    "REG_SZ": "String",
    "REG_EXPAND_SZ": "ExpandString",
    "REG_BINARY": "Binary",
    "REG_DWORD": "DWord",
    "REG_MULTI_SZ": "MultiString",
    "REG_QWORD": "QWord",
}
# values that read back the same under another type
_LOOKALIKE = {"REG_SZ": "REG_EXPAND_SZ", "REG_EXPAND_SZ": "REG_SZ", "REG_DWORD": "REG_QWORD"}
_LOOKALIKE["REG_QWORD"] = "REG_DWORD"


def normalize_path(path: str) -> str:
    """`HKEY_LOCAL_MACHINE\\Software` and `HKLM\\Software` -> `HKLM:\\Software`."""
    hive, _, rest = path.partition("\\")
    hive = _HIVES.get(hive.rstrip(":").upper(), hive.rstrip(":").upper())
    return f"{hive}:\\{rest.rstrip(chr(92))}"


class Args(ArgsModel):
    """Arguments of registry."""

    path: str = Field(pattern=PATH_PATTERN, description="key, e.g. HKLM:\\Software\\Microsoft\\SMS")
    name: str = Field(min_length=1, description="value name")
    state: State = "present"
    type: RegType | None = Field(None, description="required when the value is present")
    value: Any = Field(None, description="str, int, list of str, or bytes as hex by type")

    @field_validator("path")
    @classmethod
    def _normalize(cls, path: str) -> str:
        return normalize_path(path)

    @model_validator(mode="after")
    def _value_matches_type(self) -> Self:
        if self.state == "absent":
            if self.type is not None or self.value is not None:
                raise ValueError("an absent value takes no 'type' or 'value'")
            return self
        if self.type is None or self.value is None:
            raise ValueError("a present value needs both 'type' and 'value'")
        _check_value(self.type, self.value)
        return self


def _check_value(kind: str, value: Any) -> None:
    if kind in ("REG_SZ", "REG_EXPAND_SZ") and not isinstance(value, str):
        raise ValueError(f"{kind} takes text; quote it, e.g. value: '{value}'")
    if kind in _MAX and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ValueError(f"{kind} takes a whole number")
    if kind in _MAX and not 0 <= value <= _MAX[kind]:
        raise ValueError(f"{kind} takes 0 to {_MAX[kind]}, found {value}")
    if kind == "REG_MULTI_SZ" and not (
        isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    ):
        raise ValueError("REG_MULTI_SZ takes a list of text")
    if kind == "REG_BINARY" and not (
        isinstance(value, str) and re.fullmatch(r"(?:[0-9A-Fa-f]{2}\s?)*", value)
    ):
        raise ValueError("REG_BINARY takes hex bytes, e.g. '01 a0 ff'")


Data = str | int | bytes | tuple[str, ...]


@dataclass(frozen=True)
class RegistryState:
    """The key and the value as Get-ItemProperty read it (its type cannot be read)."""

    key_exists: bool
    exists: bool = False
    data: Data | None = None

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff (binary data as hex)."""
        if not self.exists:
            return {"key_exists": self.key_exists, "exists": False}
        return {"exists": True, "value": shown(self.data)}


def shown(data: Any) -> Any:
    """Data as the playbook writes it: bytes as hex, a multi-string as a list."""
    if isinstance(data, bytes):
        return data.hex(" ")
    return list(data) if isinstance(data, tuple) else data


def wanted_data(kind: str, value: Any) -> Data:
    """The playbook's value as data (REG_BINARY hex as bytes, REG_MULTI_SZ as a tuple)."""
    if kind == "REG_BINARY":
        return bytes.fromhex(str(value))
    if kind == "REG_MULTI_SZ":
        return tuple(value)
    return value  # type: ignore[no-any-return]


def sendable(kind: str, data: Data) -> Any:
    """Data as -Value takes it. RegistryKey.SetValue converts a DWORD with Convert.ToInt32
    and a QWORD with ToInt64, so values above their signed range go as the same bits,
    negative (0xFFFFFFFF as -1); a multi-string goes as a list."""
    if isinstance(data, tuple):
        return list(data)
    if isinstance(data, int) and kind in _MAX:
        bits = _MAX[kind] + 1
        return data - bits if data >= bits // 2 else data
    return data


def _read_data(value: Any) -> Data:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    if isinstance(value, bytes | int | str):
        return value
    return str(value)


def guess_type(data: Data, hint: str | None = None) -> str:
    """The REG_ type data of this shape most likely has: `hint` when it fits, else by shape."""
    if hint is not None and _fits(hint, data):
        return hint
    if isinstance(data, bytes):
        return "REG_BINARY"
    if isinstance(data, tuple):
        return "REG_MULTI_SZ"
    if isinstance(data, int):
        return "REG_DWORD" if -(2**31) <= data < 2**32 else "REG_QWORD"
    return "REG_SZ"


def _fits(kind: str, data: Data) -> bool:
    shapes: dict[str, type | tuple[type, ...]] = {
        "REG_SZ": str,
        "REG_EXPAND_SZ": str,
        "REG_BINARY": bytes,
        "REG_DWORD": int,
        "REG_QWORD": int,
        "REG_MULTI_SZ": tuple,
    }
    return isinstance(data, shapes[kind])


def _same(kind: str, wanted: Data, current: Data | None) -> bool:
    if current is None or not _fits(kind, current):
        return False
    if kind in _MAX and isinstance(current, int):
        return current & _MAX[kind] == wanted  # Int32 -1 is 0xFFFFFFFF
    return current == wanted


def read_value(path: str, name: str) -> Logic[RegistryState]:
    """Get-ItemProperty -Name, one pipeline: its error tells a missing key (PathNotFound,
    ItemNotFoundException) from a missing value (PSArgumentException)."""
    if re.match(PATH_PATTERN, path):
        path = normalize_path(path)  # HKEY_LOCAL_MACHINE\X alone is not a PowerShell path
    result = yield from run(
        read("Get-ItemProperty", Path=path, Name=name), allow={NO_SUCH_VALUE, NO_SUCH_KEY}
    )
    if any(error.error_id == NO_SUCH_KEY for error in result.errors):
        return RegistryState(key_exists=False)
    item = first(result)
    stored = next((k for k in item or () if k.casefold() == name.casefold()), None)
    if item is None or stored is None:
        return RegistryState(key_exists=True)
    return RegistryState(True, True, _read_data(item[stored]))


class Registry(ModuleTraits):
    """The registry module."""

    name = "registry"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[RegistryState]:
        """Get-ItemProperty -Name (one pipeline)."""
        return (yield from read_value(args.path, args.name))

    def diff(self, args: Args, state: RegistryState) -> Diff:
        """Compare data; say when the type could differ unseen or the text cannot be compared."""
        where = f"{args.path}\\{args.name}"
        if args.state == "absent":
            if not state.exists:
                return Diff(DiffKind.NONE, f"{where} is absent", state.facts())
            return Diff(DiffKind.CHANGE, f"delete {where}", state.facts(), {"exists": False})
        assert args.type is not None
        after = {
            "exists": True,
            "value": shown(wanted_data(args.type, args.value)),
            "type": args.type,
        }
        return _present_diff(args, args.type, state, where, after)

    def apply(self, args: Args, state: RegistryState, _ctx: StepContext) -> Logic[None]:
        """Set-ItemProperty -Type over an existing value, New-ItemProperty for a new one, or
        Remove-ItemProperty."""
        if args.state == "absent":
            yield from run(change("Remove-ItemProperty", Path=args.path, Name=args.name))
            return
        assert args.type is not None
        data = wanted_data(args.type, args.value)
        yield from run(_write(args.path, args.name, args.type, data, exists=state.exists))

    def undo(self, args: Args, state: RegistryState) -> tuple[Command, ...] | None:
        """Remove a value that did not exist; else write the old data back (type guessed)."""
        if not state.exists or state.data is None:
            return (change("Remove-ItemProperty", Path=args.path, Name=args.name),)
        kind = guess_type(state.data, args.type)
        return (_write(args.path, args.name, kind, state.data, exists=args.state == "present"),)


def _write(path: str, name: str, kind: str, data: Data, *, exists: bool) -> Command:
    value = sendable(kind, data)
    if exists:
        return change("Set-ItemProperty", Path=path, Name=name, Value=value, Type=KIND[kind])
    return change("New-ItemProperty", Path=path, Name=name, Value=value, PropertyType=KIND[kind])


def _present_diff(
    args: Args, kind: str, state: RegistryState, where: str, after: dict[str, Any]
) -> Diff:
    wanted = wanted_data(kind, args.value)
    if not state.key_exists:
        summary = f"create {where} (the key does not exist: writing will fail)"
        return Diff(DiffKind.CHANGE, summary, state.facts(), after)
    if not state.exists:
        return Diff(DiffKind.CHANGE, f"create {where} as {kind}", state.facts(), after)
    if kind == "REG_EXPAND_SZ" and "%" in str(wanted):
        reason = "a REG_EXPAND_SZ reads back expanded: its stored text cannot be compared"
        return Diff(DiffKind.UNKNOWN, f"write {where} as {kind}", state.facts(), after, reason)
    if not _same(kind, wanted, state.data):
        return Diff(DiffKind.CHANGE, f"set {where} ({kind})", state.facts(), after)
    unseen = _LOOKALIKE.get(kind)
    note = f" (its type cannot be read: a {unseen} with this data looks the same)" if unseen else ""
    return Diff(DiffKind.NONE, f"{where} already holds this value{note}", state.facts())


SPEC = ModuleSpec(
    "registry",
    Args,
    "one registry value (all REG_ types)",
    implementation=Registry(),
)
