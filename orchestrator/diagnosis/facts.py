"""What `diagnose` read from the domain and the site, as frozen values (no I/O, no logic).

The readers (readers.py) build these from cmdlet output; findings.py and rules.py reason over
them. A part that could not be read is absent (None or left out) and named in `Facts.unread`,
so every conclusion drawn from it can say "unknown" instead of guessing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

E_ACCESSDENIED = 2147942405  # 0x80070005: the article's #2147942405 (Q236052)
# the client's own copy, which method 1's playbook runs for `Smsman.exe /u` (its local_smsman)
DEFAULT_SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"


@dataclass(frozen=True)
class ClientStatus:
    """One client as the site server sees it (Get-CMClientStatus)."""

    name: str
    installed: bool
    status: str  # CheckedIn | Failing | Pending | Uninstalled
    last_error: int = 0  # an HRESULT; 0 = none
    known_accounts: tuple[str, ...] = ()  # DOMAIN\name, in the order the client tries them
    locked_out_accounts: tuple[str, ...] = ()  # the site's own view of AD's lockouts
    site_config_last_checked: str | None = None  # the raw REG_SZ (Q265358)
    timestamp_readable: bool = True


@dataclass(frozen=True)
class SiteSettings:
    """The site's installation settings (Get-CMSite); None fields were not given."""

    logon_discovery: bool | None = None  # Windows NT Logon Discovery
    logon_installation: bool | None = None  # Windows NT Logon (Client) Installation
    logon_points: tuple[str, ...] = ()
    logon_share: str | None = None
    smsman_path: str | None = None


@dataclass(frozen=True)
class SiteFacts:
    """The site: its connection accounts (in order), its clients and its settings."""

    server: str
    site_code: str
    accounts: tuple[str, ...] = ()
    clients: tuple[ClientStatus, ...] = ()
    settings: SiteSettings | None = None
    settings_unknown: str = ""  # why `settings` is None (Get-CMSite missing, or failed)


@dataclass(frozen=True)
class AccountFacts:
    """One account in Active Directory (Get-ADUser -Properties ...), by sAMAccountName."""

    name: str  # as the site or a client names it: DOMAIN\name
    sam: str
    exists: bool
    foreign: bool = False  # of another domain than the one read: not looked up
    sid: str | None = None
    enabled: bool | None = None
    locked_out: bool | None = None
    bad_logon_count: int | None = None
    lockout_time: str | None = None
    last_bad_password_attempt: str | None = None


@dataclass(frozen=True)
class DirectoryFacts:
    """What a domain controller said of the accounts asked for, and who is locked out."""

    server: str
    domain: str  # NetBIOS name
    domain_sid: str = ""
    accounts: tuple[AccountFacts, ...] = ()
    locked_out: tuple[str, ...] = ()  # sAMAccountNames Search-ADAccount -LockedOut listed

    def account(self, name: str) -> AccountFacts | None:
        """The facts of `name` (DOMAIN\\name or a bare name), or None when not asked for."""
        wanted = name.casefold()
        return next(
            (a for a in self.accounts if wanted in (a.name.casefold(), a.sam.casefold())), None
        )


@dataclass(frozen=True)
class CapFacts:
    """A CAP server's Guest (the domain Guest on a DC, its local -501 on a member server) and
    its LimitBlankPasswordUse value (None: not set)."""

    host: str
    on_dc: bool
    guest: str | None = None  # the account's name, None when no -501 account was found
    guest_sid: str | None = None
    guest_enabled: bool | None = None
    limit_blank_password_use: int | None = None


@dataclass(frozen=True)
class ClientHostFacts:
    """A client host: its SMB client's AllowInsecureGuestAuth (None: not set) and whether
    Smsman.exe is at each path asked for (Test-Path)."""

    host: str
    allow_insecure_guest_auth: int | None = None
    smsman: tuple[tuple[str, bool], ...] = ()

    def smsman_at(self, path: str) -> bool | None:
        """Whether Smsman.exe is at `path` (None: not asked)."""
        return next((found for p, found in self.smsman if p.casefold() == path.casefold()), None)


class Part(enum.StrEnum):
    """What was being read on a host."""

    SITE = "site"
    DIRECTORY = "directory"
    CAP = "cap"
    CLIENT = "client"


class Failure(enum.StrEnum):
    """Why a part could not be read."""

    UNREACHABLE = "unreachable"
    REFUSED = "refused"  # its credential was rejected
    FAILED = "failed"  # a cmdlet failed
    MISSING = "missing"  # no host in the inventory (after --limit) has the role


@dataclass(frozen=True)
class Unread:
    """A part that could not be read, where and why."""

    part: Part
    host: str
    failure: Failure
    reason: str


@dataclass(frozen=True)
class Scope:
    """The hosts of the inventory (after --limit) by role, and the operator accounts."""

    site_servers: tuple[str, ...] = ()
    domain_controllers: tuple[str, ...] = ()
    caps: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    logon_points: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()  # user names of the inventory's credentials

    def first(self, names: tuple[str, ...]) -> str | None:
        """The first host of a role, as `role[0]` selects it."""
        return names[0] if names else None


@dataclass(frozen=True)
class Facts:
    """Everything read, and what could not be."""

    site_code: str
    scope: Scope
    smsman_path: str = DEFAULT_SMSMAN  # where method 1 runs Smsman.exe /u on a client
    site: SiteFacts | None = None
    directory: DirectoryFacts | None = None
    caps: tuple[CapFacts, ...] = ()
    client_hosts: tuple[ClientHostFacts, ...] = ()
    unread: tuple[Unread, ...] = field(default=())

    def client_host(self, name: str) -> ClientHostFacts | None:
        """The facts read on client host `name`, if it was read."""
        wanted = name.casefold()
        return next((c for c in self.client_hosts if c.host.casefold() == wanted), None)

    def unread_host(self, name: str) -> Unread | None:
        """Why host `name` could not be read, if it could not."""
        wanted = name.casefold()
        return next((u for u in self.unread if u.host.casefold() == wanted), None)
