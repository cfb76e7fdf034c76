"""The HRESULTs an SMS client reports as its last error, decoded.

Ccim32.log prints them in decimal (#2147942405). An HRESULT with facility 7 (FACILITY_WIN32)
wraps a Win32 error code: 0x8007xxxx, the low 16 bits being the code (HRESULT_FROM_WIN32,
"Structure of COM Error Codes" and "System Error Codes" on Microsoft Learn).
"""

from __future__ import annotations

from dataclasses import dataclass

_FACILITY_WIN32 = 7

# Win32 code -> (symbol, what it means for a client reaching its CAP)
_WIN32: dict[int, tuple[str, str]] = {
    5: (
        "E_ACCESSDENIED",
        "access denied: the CAP refused every connection account the client holds (Q236052)",
    ),
    53: (
        "ERROR_BAD_NETPATH",
        "the network path was not found: no CAP of the site answered (Q265358)",
    ),
    1311: ("ERROR_NO_LOGON_SERVERS", "no logon server could check the account"),
    1326: ("ERROR_LOGON_FAILURE", "logon failure: unknown user name or bad password"),
    1331: ("ERROR_ACCOUNT_DISABLED", "the account is disabled"),
    1909: ("ERROR_ACCOUNT_LOCKED_OUT", "the account is locked out (Q227033)"),
}


@dataclass(frozen=True)
class DecodedError:
    """An HRESULT: its decimal and hex forms, its symbol and meaning ("" when unknown)."""

    code: int
    hex: str
    symbol: str
    meaning: str

    @property
    def none(self) -> bool:
        """True for 0: no error."""
        return self.code == 0

    def describe(self) -> str:
        """`#2147942405 (0x80070005, E_ACCESSDENIED): access denied ...`."""
        if self.none:
            return "no error"
        symbol = f", {self.symbol}" if self.symbol else ""
        meaning = f": {self.meaning}" if self.meaning else ""
        return f"#{self.code} ({self.hex}{symbol}){meaning}"


def decode(code: int) -> DecodedError:
    """What the client's last error means."""
    unsigned = code & 0xFFFFFFFF
    hex_text = f"0x{unsigned:08X}"
    if unsigned == 0:
        return DecodedError(0, hex_text, "S_OK", "")
    if (unsigned >> 16) & 0x1FFF == _FACILITY_WIN32 and unsigned & 0x80000000:
        win32 = unsigned & 0xFFFF
        symbol, meaning = _WIN32.get(win32, (f"Win32 error {win32}", ""))
        return DecodedError(unsigned, hex_text, symbol, meaning)
    return DecodedError(unsigned, hex_text, "", "")
