"""Which clients fail, and why: their last error decoded against the accounts they hold.

A client failing with #2147942405 (E_ACCESSDENIED) was refused by the CAP with every account
it holds (Q236052). If those accounts still exist, the password it stores no longer matches
(it changed since the client learnt it) or the account is locked out; if none exists any more,
Windows tried Guest and Guest is closed (an unknown account falls back to Guest, a wrong
password does not: Q103390). A "Site Config Last Checked" the client cannot parse keeps it
from ever orphaning itself (Q265358).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.diagnosis.accounts import AccountFinding, AccountState
from orchestrator.diagnosis.codes import DecodedError, decode
from orchestrator.diagnosis.facts import E_ACCESSDENIED, ClientStatus


class ClientCause(enum.StrEnum):
    """Why a client is in its state."""

    CHECKED_IN = "checked-in"
    PENDING = "pending"  # installed, not evaluated yet
    UNINSTALLED = "uninstalled"
    STALE_PASSWORD = "stale-password"  # noqa: S105 -- a cause; access denied, its accounts exist
    ACCOUNTS_GONE = "accounts-gone"  # access denied; none of its accounts exists any more
    NO_ACCOUNT = "no-account"  # access denied; it holds no account at all
    ACCESS_DENIED = "access-denied"  # access denied; the directory could not be read
    NO_SITE_ACCOUNT = "no-site-account"  # checked in so far, but holds none of the site's accounts
    OTHER_ERROR = "other-error"


# What Q236052's methods repair: an installed client the CAP refuses for its accounts, or one
# holding none of the accounts the site hands out (it fails at its next check-in)
REPAIRABLE = frozenset(
    {
        ClientCause.STALE_PASSWORD,
        ClientCause.ACCOUNTS_GONE,
        ClientCause.NO_ACCOUNT,
        ClientCause.ACCESS_DENIED,
        ClientCause.NO_SITE_ACCOUNT,
    }
)
FAILING = REPAIRABLE - {ClientCause.NO_SITE_ACCOUNT} | {ClientCause.OTHER_ERROR}
BROKEN = REPAIRABLE | FAILING | {ClientCause.UNINSTALLED}


@dataclass(frozen=True)
class ClientFinding:
    """One client: its state, why, its last error, and the state of each account it holds."""

    name: str
    status: str  # as the site says: CheckedIn, Failing, Pending, Uninstalled
    installed: bool
    cause: ClientCause
    error: DecodedError
    accounts: tuple[tuple[str, AccountState], ...]
    stuck: bool  # "Site Config Last Checked" unreadable (Q265358)
    site_config_last_checked: str | None
    explanation: str

    @property
    def broken(self) -> bool:
        """Needs recovery: failing, uninstalled, or stuck."""
        return self.cause in BROKEN or self.stuck

    @property
    def failing(self) -> bool:
        """Installed and failing to check in."""
        return self.cause in FAILING

    @property
    def repairable(self) -> bool:
        """Installed, and refused for its accounts (or holding none the site hands out): what
        Q236052's methods and their playbooks repair."""
        return self.cause in REPAIRABLE


def client_findings(
    clients: tuple[ClientStatus, ...], accounts: tuple[AccountFinding, ...]
) -> tuple[ClientFinding, ...]:
    """Each client of the site, judged."""
    states = {a.name.casefold(): a.state for a in accounts}
    in_site = frozenset(a.name.casefold() for a in accounts if a.in_site)
    return tuple(_finding(c, states, in_site) for c in clients)


def _finding(
    client: ClientStatus, states: Mapping[str, AccountState], in_site: frozenset[str]
) -> ClientFinding:
    held = tuple(
        (name, states.get(name.casefold(), AccountState.UNKNOWN)) for name in client.known_accounts
    )
    cause = _cause(client, held)
    if cause in (ClientCause.CHECKED_IN, ClientCause.PENDING) and not any(
        name.casefold() in in_site for name, _ in held
    ):
        cause = ClientCause.NO_SITE_ACCOUNT
    stuck = client.installed and not client.timestamp_readable
    return ClientFinding(
        name=client.name,
        status=client.status,
        installed=client.installed,
        cause=cause,
        error=decode(client.last_error),
        accounts=held,
        stuck=stuck,
        site_config_last_checked=client.site_config_last_checked,
        explanation=_explain(cause, client, stuck),
    )


_BY_STATUS = {
    "checkedin": ClientCause.CHECKED_IN,
    "pending": ClientCause.PENDING,
    "uninstalled": ClientCause.UNINSTALLED,
}


def _cause(client: ClientStatus, held: tuple[tuple[str, AccountState], ...]) -> ClientCause:
    if not client.installed:
        return ClientCause.UNINSTALLED
    by_status = _BY_STATUS.get(client.status.casefold())
    if by_status is not None:
        return by_status
    if client.last_error != E_ACCESSDENIED:
        return ClientCause.OTHER_ERROR
    return _denied_cause({state for _, state in held})


def _denied_cause(states: set[AccountState]) -> ClientCause:
    """Why the CAP refused a client holding accounts in these states."""
    if not states:
        return ClientCause.NO_ACCOUNT
    if AccountState.UNKNOWN in states:
        return ClientCause.ACCESS_DENIED
    if states == {AccountState.MISSING}:
        return ClientCause.ACCOUNTS_GONE
    return ClientCause.STALE_PASSWORD


def _explain(cause: ClientCause, client: ClientStatus, stuck: bool) -> str:
    error = decode(client.last_error)
    text = _EXPLAIN[cause].format(meaning=error.meaning or f"it fails with {error.describe()}")
    if stuck:
        value = client.site_config_last_checked
        shown = f"{value!r}" if value is not None else "missing"
        text += (
            f"; its Site Config Last Checked ({shown}) cannot be read, so it never orphans"
            " itself (Q265358)"
        )
    return text


_EXPLAIN = {
    ClientCause.CHECKED_IN: "checked in",
    ClientCause.PENDING: "installed, not checked in yet",
    ClientCause.UNINSTALLED: "the SMS client is not installed",
    ClientCause.STALE_PASSWORD: (
        "the CAP refused the accounts it holds, which exist: the password it stores no longer"
        " matches (changed since it learnt it), or they are locked out (Q236052)"
    ),
    ClientCause.ACCOUNTS_GONE: (
        "none of the accounts it holds exists any more, so Windows tried Guest, and Guest is"
        " closed (Q103390)"
    ),
    ClientCause.NO_ACCOUNT: "the CAP refused it: it holds no connection account",
    ClientCause.ACCESS_DENIED: (
        "the CAP refused the accounts it holds (the directory could not be read to say why)"
    ),
    ClientCause.NO_SITE_ACCOUNT: (
        "it holds none of the accounts the site hands out: it fails at its next check-in"
    ),
    ClientCause.OTHER_ERROR: (
        "{meaning}: not an account problem, so no method of Q236052 repairs it"
    ),
}
