"""A host's HKEY_LOCAL_MACHINE: keys, typed values, and PowerShell path spellings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

HIVE = "HKEY_LOCAL_MACHINE"
_PREFIXES = (
    "microsoft.powershell.core\\registry::hkey_local_machine",
    "registry::hkey_local_machine",
    "hkey_local_machine",
    "hklm:",
)


class RegistryValueKind(enum.Enum):
    """The REG_* type of a value, named as PowerShell's -Type / -PropertyType accept it."""

    __ps_type_name__ = "Microsoft.Win32.RegistryValueKind"

    String = 1  # REG_SZ
    ExpandString = 2  # REG_EXPAND_SZ
    Binary = 3  # REG_BINARY
    DWord = 4  # REG_DWORD
    MultiString = 7  # REG_MULTI_SZ
    QWord = 11  # REG_QWORD


@dataclass(frozen=True)
class RegValue:
    """A typed registry value."""

    kind: RegistryValueKind
    data: str | int | bytes | tuple[str, ...]


@dataclass(slots=True)
class RegKey:
    """One key: its display path and its values (name lookup is case-insensitive)."""

    path: str  # e.g. HKEY_LOCAL_MACHINE\Software\Microsoft\SMS\Client
    values: dict[str, tuple[str, RegValue]] = field(default_factory=dict)

    def get(self, name: str) -> tuple[str, RegValue] | None:
        """(stored name, value) for a case-insensitive name."""
        return self.values.get(name.lower())

    def put(self, name: str, value: RegValue) -> None:
        """Create or overwrite a value, keeping an existing value's spelling."""
        existing = self.values.get(name.lower())
        self.values[name.lower()] = (existing[0] if existing else name, value)

    def delete(self, name: str) -> bool:
        """Remove a value; False if it did not exist."""
        return self.values.pop(name.lower(), None) is not None


def native_path(path: str) -> str | None:
    """'HKLM:\\Software\\X' (or Registry::...) as 'HKEY_LOCAL_MACHINE\\Software\\X'; None if
    the path is not on HKLM."""
    text = path.strip().replace("/", "\\")
    lowered = text.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            rest = text[len(prefix) :].strip("\\")
            return HIVE + ("\\" + rest if rest else "")
    return None


def drive_path(native: str) -> str:
    """'HKEY_LOCAL_MACHINE\\X' as PowerShell shows it on the drive: 'HKLM:\\X'."""
    return "HKLM:" + native[len(HIVE) :] if native[len(HIVE) :] else "HKLM:\\"


class Registry:
    """HKLM of one host."""

    def __init__(self) -> None:
        self._keys: dict[str, RegKey] = {HIVE.lower(): RegKey(HIVE)}

    def key(self, native: str) -> RegKey | None:
        """The key at a native path, if it exists."""
        return self._keys.get(native.rstrip("\\").lower())

    def create_key(self, native: str) -> RegKey:
        """Create a key and any missing parents; return it."""
        parts = native.rstrip("\\").split("\\")
        key: RegKey | None = None
        for i in range(1, len(parts) + 1):
            path = "\\".join(parts[:i])
            key = self._keys.get(path.lower())
            if key is None:
                key = RegKey(path)
                self._keys[path.lower()] = key
        assert key is not None
        return key

    def delete_tree(self, native: str) -> bool:
        """Remove a key and its subkeys; False if it did not exist."""
        base = native.rstrip("\\").lower()
        doomed = [k for k in self._keys if k == base or k.startswith(base + "\\")]
        for k in doomed:
            del self._keys[k]
        return bool(doomed)

    def set(self, native: str, name: str, value: RegValue) -> None:
        """Create the key if needed and write a value (setup and the model, not the cmdlets)."""
        self.create_key(native).put(name, value)

    def get(self, native: str, name: str) -> RegValue | None:
        """A value, or None when the key or the value is missing."""
        key = self.key(native)
        found = key.get(name) if key else None
        return found[1] if found else None

    def all_keys(self) -> list[RegKey]:
        """Every key, in path order (for digests)."""
        return [self._keys[k] for k in sorted(self._keys)]
