"""The registry values behind two of the modern Guest barriers, read where Windows reads them.

- `LimitBlankPasswordUse` (REG_DWORD, HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa) on the
  server being accessed: 1 lets a local account with a blank password log on only at the
  console, so a member server's local Guest cannot log on over the network (Microsoft Learn,
  "Accounts: Limit local account use of blank passwords to console logon only").
- `AllowInsecureGuestAuth` (REG_DWORD, HKLM\\SYSTEM\\CurrentControlSet\\Services\\
  LanmanWorkstation\\Parameters) on the SMB client: 0 makes the client refuse a session the
  server granted as Guest (Microsoft Learn, "Guest access in SMB2 and SMB3 disabled in
  Windows").

The lab writes both on every host when it builds a scenario (the second only on clients): the
modern era's values, or NT4's, which knew neither barrier. An admin lifts a barrier by setting
the value with Set-ItemProperty, as on Windows. A missing value, or one that is not a DWORD,
means the era's default (Windows' own default since the setting exists; NT4: no barrier) [U on
a value of the wrong type].
"""

from __future__ import annotations

from orchestrator.lab.domain.fidelity import Era
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.registry import RegistryValueKind, RegValue

LSA_KEY = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
LIMIT_BLANK_PASSWORD_USE = "LimitBlankPasswordUse"  # noqa: S105 -- a value name, not a password
WORKSTATION_KEY = (
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters"
)
ALLOW_INSECURE_GUEST_AUTH = "AllowInsecureGuestAuth"


def _dword(host: Host, key: str, name: str) -> int | None:
    value = host.registry.get(key, name)
    if value is None or value.kind is not RegistryValueKind.DWord:
        return None
    return value.data if isinstance(value.data, int) else None


def limits_blank_passwords(host: Host, era: Era) -> bool:
    """True when `host` refuses network logons of local accounts with a blank password."""
    found = _dword(host, LSA_KEY, LIMIT_BLANK_PASSWORD_USE)
    return era is Era.MODERN if found is None else found != 0


def allows_insecure_guest(host: Host, era: Era) -> bool:
    """True when `host`'s SMB client accepts a session the server granted as Guest."""
    found = _dword(host, WORKSTATION_KEY, ALLOW_INSECURE_GUEST_AUTH)
    return era is Era.NT4_SMS2 if found is None else found != 0


def seed(host: Host, era: Era, *, smb_client: bool) -> None:
    """Write the era's values: LimitBlankPasswordUse everywhere, AllowInsecureGuestAuth on
    SMB clients (1 / 0 in the modern era, 0 / 1 in NT4's)."""
    modern = era is Era.MODERN
    host.registry.set(
        LSA_KEY, LIMIT_BLANK_PASSWORD_USE, RegValue(RegistryValueKind.DWord, int(modern))
    )
    if smb_client:
        host.registry.set(
            WORKSTATION_KEY,
            ALLOW_INSECURE_GUEST_AUTH,
            RegValue(RegistryValueKind.DWord, int(not modern)),
        )
