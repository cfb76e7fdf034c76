"""The connection accounts the site or any client knows: valid now, or why not, and who knows them.

An account is valid when it exists in AD, is enabled, is not locked out, and the site still
hands it out (it is in the site's list). A failing client that knows an account is a likely
locker of it: every CCIM retry with a stale password counts against the lockout policy, and
one client with a stale password locks out every account it knows (Q227033, Q237759).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.diagnosis.facts import AccountFacts, ClientStatus, DirectoryFacts, Facts

_FAILING = "Failing"
_BUILTIN_RID_LIMIT = 1000  # RIDs below 1000 are the well-known accounts (Security identifiers)
_BUILTIN_NAMES = frozenset({"administrator", "guest", "krbtgt"})
_RID = re.compile(r"-(\d+)$")


class AccountState(enum.StrEnum):
    """What an account is now, most serious first."""

    VALID = "valid"
    MISSING = "missing"  # no such account in AD (deleted, or never created)
    DISABLED = "disabled"
    LOCKED_OUT = "locked-out"
    NOT_IN_SITE = "not-in-site"  # the site no longer hands it out
    FOREIGN = "foreign"  # another domain's: not read
    UNKNOWN = "unknown"  # the directory could not be read


@dataclass(frozen=True)
class AccountFinding:
    """One connection account: its state, its AD facts, who knows it and who fails with it."""

    name: str
    state: AccountState
    in_site: bool
    facts: AccountFacts | None
    known_by: tuple[str, ...]
    lockers: tuple[str, ...]  # clients that know it and fail: the likely lockers
    protected: bool  # an operator's account or a built-in one: never to be deleted
    listed_locked: bool | None = None  # Search-ADAccount -LockedOut listed it (None: not read)

    @property
    def valid(self) -> bool:
        """Exists, enabled, not locked out, in the site's list."""
        return self.state is AccountState.VALID

    @property
    def sam(self) -> str:
        """The sAMAccountName (the part after the backslash)."""
        return bare(self.name)


def bare(name: str) -> str:
    """`CONTOSO\\SMSClient_TB1` -> `SMSClient_TB1`."""
    return name.rsplit("\\", 1)[-1]


def same(a: str, b: str) -> bool:
    """Account names compare case-insensitively, as SAM and AD do."""
    return a.casefold() == b.casefold()


def all_accounts(facts: Facts) -> tuple[str, ...]:
    """Every account the site or a client knows, once, the site's first, in order."""
    seen: dict[str, str] = {}
    site_accounts = facts.site.accounts if facts.site else ()
    clients = facts.site.clients if facts.site else ()
    for name in (*site_accounts, *(a for c in clients for a in c.known_accounts)):
        seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def account_findings(facts: Facts) -> tuple[AccountFinding, ...]:
    """Each account the site or a client knows, judged."""
    return tuple(_finding(facts, name) for name in all_accounts(facts))


def _finding(facts: Facts, name: str) -> AccountFinding:
    clients = facts.site.clients if facts.site else ()
    in_site = any(same(name, a) for a in (facts.site.accounts if facts.site else ()))
    known_by = tuple(c.name for c in clients if _knows(c, name))
    lockers = tuple(c.name for c in clients if _knows(c, name) and c.status == _FAILING)
    directory = facts.directory
    found = directory.account(name) if directory else None
    return AccountFinding(
        name=name,
        state=_state(found, in_site, directory is not None, _seen_locked(clients, name)),
        in_site=in_site,
        facts=found,
        known_by=known_by,
        lockers=lockers,
        protected=_protected(name, found, facts.scope.operators),
        listed_locked=_listed(directory, name),
    )


def _knows(client: ClientStatus, name: str) -> bool:
    return client.installed and any(same(k, name) for k in client.known_accounts)


def _seen_locked(clients: Iterable[ClientStatus], name: str) -> bool:
    return any(same(a, name) for c in clients for a in c.locked_out_accounts)


def _state(
    found: AccountFacts | None, in_site: bool, directory_read: bool, site_says_locked: bool
) -> AccountState:
    if found is None:
        if directory_read:
            return AccountState.UNKNOWN  # asked for, but the answer was lost
        return AccountState.LOCKED_OUT if site_says_locked else AccountState.UNKNOWN
    checks = (
        (found.foreign, AccountState.FOREIGN),
        (not found.exists, AccountState.MISSING),
        (found.enabled is False, AccountState.DISABLED),
        (bool(found.locked_out), AccountState.LOCKED_OUT),
        (not in_site, AccountState.NOT_IN_SITE),
    )
    return next((state for failed, state in checks if failed), AccountState.VALID)


def _listed(directory: DirectoryFacts | None, name: str) -> bool | None:
    if directory is None:
        return None
    return any(same(bare(name), sam) for sam in directory.locked_out)


def _protected(name: str, found: AccountFacts | None, operators: tuple[str, ...]) -> bool:
    """The operator's own account, or a built-in one (RID below 1000, e.g. 500 Administrator,
    501 Guest, 502 krbtgt): a recovery never deletes those."""
    if any(same(bare(name), bare(op)) for op in operators):
        return True
    if bare(name).casefold() in _BUILTIN_NAMES:
        return True
    match = _RID.search(found.sid or "") if found else None
    return match is not None and int(match.group(1)) < _BUILTIN_RID_LIMIT
