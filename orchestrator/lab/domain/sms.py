"""The SMS 2.0 site and its clients (KB Q236052, Q237759, Q227033, Q265358, Q246331)."""

from __future__ import annotations

import enum
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from orchestrator.lab.clock import Event
from orchestrator.lab.contract import SecureString

SMS_CLIENT_KEY = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SMS\\Client"
LAST_CHECKED = "Site Config Last Checked"
LAST_CHECKED_FORMAT = "%Y/%m/%d %H:%M.%S"  # yyyy/MM/dd HH:mm.ss, KB Q265358
_LAST_CHECKED_RE = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2})\.(\d{2})$")
SMSMAN_RELATIVE = "MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"  # under %WinDir% (KB Q236052)
LOGON_SHARE = "SMSLOGON"  # \\<LogonPointServer>\smslogon (KB Q236052)
LOGON_SHARE_PATH = "C:\\SMSLOGON"  # where the lab's logon points keep the share
LOGON_SMSMAN_RELATIVE = "x86.bin\\00000409\\Smsman.exe"  # under the share (KB Q236052)
LOG_LINES_KEPT = 400  # Ccim32.log is size-capped and rolls over on the real client

E_ACCESSDENIED = 2147942405  # 0x80070005, the article's #2147942405
E_BAD_NETPATH = 2147942453  # 0x80070035, CAP unreachable (KB Q265358's #2147942453)


def site_key(site_code: str) -> str:
    """HKLM\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\<SiteCode> (KB Q236052)."""
    return f"{SMS_CLIENT_KEY}\\Sites\\Shared\\{site_code}"


def format_last_checked(when: datetime) -> str:
    """The REG_SZ text a client writes, e.g. 2000/06/13 06:28.53."""
    return when.strftime(LAST_CHECKED_FORMAT)


def parse_last_checked(text: object) -> datetime | None:
    """Strict parse of the REG_SZ; anything else (other culture, type) is unreadable."""
    match = _LAST_CHECKED_RE.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None  # e.g. 2000/13/45: shaped right, not a date


@dataclass(frozen=True)
class ConnectionAccount:
    """A client connection account of the site, e.g. CONTOSO\\SMSClient_TB1.

    `password` is what the site hands to clients; None means the lab uses the account's
    current AD password (a simplification: the real console asks for it).
    """

    name: str
    password: SecureString | None = field(default=None, repr=False)


@dataclass(frozen=True)
class KnownAccount:
    """An account a client stored in its registry, with the password as it was then."""

    name: str
    password: SecureString = field(repr=False)


@dataclass(eq=False)
class SmsSite:
    """The site: its code, connection accounts, CAPs, logon points and CCIM timing."""

    site_code: str
    accounts: list[ConnectionAccount] = field(default_factory=list)
    cap_hosts: list[str] = field(default_factory=list)
    logon_points: list[str] = field(default_factory=list)
    logon_discovery: bool = True
    logon_installation: bool = True
    success_interval: timedelta = timedelta(hours=23)  # CCIM cycle (KB Q237759, Q246331)
    retry_interval: timedelta = timedelta(minutes=60)  # "Retry in 60 minutes" (KB Q236052)
    orphan_after: timedelta = timedelta(days=60)  # (KB Q227033)
    smsman_duration: timedelta = timedelta(seconds=30)

    def account(self, name: str) -> ConnectionAccount | None:
        """A connection account by DOMAIN\\name (case-insensitive)."""
        return next((a for a in self.accounts if a.name.lower() == name.lower()), None)


class ClientHealth(enum.Enum):
    """A client's state as the site sees it."""

    __ps_type_name__ = "Lab.SMS.ClientHealth"

    CheckedIn = 1  # the last CCIM reached a CAP
    Failing = 2  # the last CCIM could not read the site's files
    Pending = 3  # installed, not evaluated yet
    Uninstalled = 4


@dataclass(eq=False, slots=True)
class SmsClient:
    """One SMS client; its "Site Config Last Checked" lives in its host's registry."""

    host: str
    site_code: str
    installed: bool = True
    known_accounts: tuple[KnownAccount, ...] = ()
    last_success: datetime | None = None  # virtual (lab) time of the last good CCIM
    last_attempt: datetime | None = None
    last_error: int = 0
    timestamp_unreadable: bool = False
    log: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_LINES_KEPT), repr=False)
    next_event: Event | None = field(default=None, repr=False)

    @property
    def health(self) -> ClientHealth:
        """CheckedIn / Failing / Pending / Uninstalled."""
        if not self.installed:
            return ClientHealth.Uninstalled
        if self.last_attempt is None:
            return ClientHealth.Pending
        return ClientHealth.Failing if self.last_error else ClientHealth.CheckedIn

    def knows(self, account: str) -> bool:
        """True when the client stored this connection account."""
        return any(k.name.lower() == account.lower() for k in self.known_accounts)
