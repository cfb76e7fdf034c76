"""From facts to findings: the site, its clients, its accounts, its CAPs, and the headline notes.

Pure: `find(facts)` reads nothing and changes nothing. A note is a `problem` (the site needs
recovery), a `warning` (worth acting on: prevention, security) or `info`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace

from orchestrator.diagnosis.accounts import AccountFinding, AccountState, account_findings
from orchestrator.diagnosis.clients import ClientCause, ClientFinding, client_findings
from orchestrator.diagnosis.facts import Facts, SiteSettings
from orchestrator.diagnosis.guest import (
    ClientHostFinding,
    GuestFinding,
    client_host_findings,
    guest_findings,
)

MIN_ACCOUNTS = 2  # Q237759: at least two connection accounts, rotated


class Severity(enum.StrEnum):
    """How much a note matters."""

    PROBLEM = "problem"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Note:
    """One headline of the diagnosis."""

    severity: Severity
    code: str
    message: str
    subjects: tuple[str, ...] = ()  # the hosts or accounts it is about


@dataclass(frozen=True)
class SiteFinding:
    """The site's own state: its connection accounts and installation settings."""

    site_code: str
    server: str
    accounts: tuple[str, ...]
    settings: SiteSettings | None
    settings_unknown: str

    @property
    def logon_methods(self) -> bool | None:
        """Windows NT Logon Discovery or Logon Installation on (None: unknown)."""
        if self.settings is None:
            return None
        given = (self.settings.logon_discovery, self.settings.logon_installation)
        if True in given:
            return True
        return False if None not in given else None

    @property
    def too_few_accounts(self) -> bool:
        """Fewer than two connection accounts (Q237759)."""
        return len(self.accounts) < MIN_ACCOUNTS


@dataclass(frozen=True)
class Findings:
    """Everything concluded from the facts, before choosing a method."""

    facts: Facts
    site: SiteFinding | None
    clients: tuple[ClientFinding, ...]
    accounts: tuple[AccountFinding, ...]
    caps: tuple[GuestFinding, ...]
    client_hosts: tuple[ClientHostFinding, ...]
    notes: tuple[Note, ...] = ()

    @property
    def broken(self) -> tuple[ClientFinding, ...]:
        """Clients that need recovery."""
        return tuple(c for c in self.clients if c.broken)

    @property
    def repairable(self) -> tuple[ClientFinding, ...]:
        """Clients Q236052's methods repair (installed, refused for their accounts)."""
        return tuple(c for c in self.clients if c.repairable)

    @property
    def healthy(self) -> bool:
        """No problem found (what could not be read is not known to be healthy)."""
        return not any(n.severity is Severity.PROBLEM for n in self.notes)

    def account(self, name: str) -> AccountFinding | None:
        """The finding of an account by DOMAIN\\name or bare name."""
        wanted = name.casefold()
        return next(
            (a for a in self.accounts if wanted in (a.name.casefold(), a.sam.casefold())), None
        )


NoteMaker = Callable[[Findings], list[Note]]
"""One kind of headline: the notes it finds (none, one, or one per subject)."""


def find(facts: Facts) -> Findings:
    """The findings of a diagnosis."""
    accounts = account_findings(facts)
    site = facts.site
    findings = Findings(
        facts=facts,
        site=SiteFinding(
            site.site_code, site.server, site.accounts, site.settings, site.settings_unknown
        )
        if site
        else None,
        clients=client_findings(site.clients if site else (), accounts),
        accounts=accounts,
        caps=guest_findings(facts),
        client_hosts=client_host_findings(facts),
    )
    notes = tuple(note for make in _NOTES for note in make(findings))
    return replace(findings, notes=notes)


def _failing(f: Findings) -> list[Note]:
    by_error: dict[str, list[str]] = {}
    for client in f.clients:
        if client.failing:
            by_error.setdefault(client.error.describe(), []).append(client.name)
    total = len(f.clients)
    return [
        Note(
            Severity.PROBLEM,
            "clients-failing",
            f"{len(names)} of {total} clients fail with {error}",
            tuple(names),
        )
        for error, names in by_error.items()
    ]


def _by_cause(cause: ClientCause, severity: Severity, code: str, text: str) -> NoteMaker:
    def make(f: Findings) -> list[Note]:
        names = tuple(c.name for c in f.clients if c.cause is cause)
        return [Note(severity, code, f"{len(names)} {text}", names)] if names else []

    return make


def _stuck(f: Findings) -> list[Note]:
    names = tuple(c.name for c in f.clients if c.stuck)
    text = (
        " cannot read their Site Config Last Checked value: stuck, they never orphan"
        " themselves (Q265358)"
    )
    return (
        [Note(Severity.PROBLEM, "clients-stuck", f"{len(names)} clients{text}", names)]
        if names
        else []
    )


def _locked(f: Findings) -> list[Note]:
    notes = []
    for account in f.accounts:
        if account.state is not AccountState.LOCKED_OUT:
            continue
        facts = account.facts
        count = f", bad logon count {facts.bad_logon_count}" if facts else ""
        last = facts.last_bad_password_attempt if facts else None
        when = f", last bad password {last}" if last else ""
        who = ", ".join(account.lockers) or "no failing client knows it"
        notes.append(
            Note(
                Severity.PROBLEM,
                "account-locked-out",
                f"{account.name} is locked out"
                f"{count}{when}; likely lockers (clients that know it and fail, Q227033):"
                f" {who}",
                (account.name, *account.lockers),
            )
        )
    return notes


def _site_accounts(f: Findings) -> list[Note]:
    if f.site is None:
        return []
    site, notes = f.site, []
    if not any(a.in_site and a.valid for a in f.accounts):
        text = f"site {site.site_code} hands out no valid connection account"
        notes.append(Note(Severity.PROBLEM, "no-valid-account", text, site.accounts))
    for account in f.accounts:
        if account.in_site and account.state in (AccountState.MISSING, AccountState.DISABLED):
            text = f"the site hands out {account.name}, which is {account.state} in AD"
            notes.append(Note(Severity.PROBLEM, "site-account-invalid", text, (account.name,)))
    if site.too_few_accounts:
        text = (
            f"site {site.site_code} has {len(site.accounts)} connection account(s): Q237759"
            " recommends two, rotated, so that a password change never locks clients out"
        )
        notes.append(Note(Severity.WARNING, "too-few-accounts", text, site.accounts))
    return notes


def _guest_open(f: Findings) -> list[Note]:
    names = tuple(c.host for c in f.caps if c.guest_enabled)
    text = (
        "Guest is enabled on CAP(s): Q236052 opens it only while clients check in; close it"
        " unless a Guest window is running"
    )
    return [Note(Severity.WARNING, "guest-enabled", text, names)] if names else []


def _outside_inventory(f: Findings) -> list[Note]:
    known = {n.casefold() for n in f.facts.scope.clients}
    names = tuple(c.name for c in f.broken if c.name.casefold() not in known)
    text = "broken clients are not in the inventory (or --limit): no playbook can reach them"
    return [Note(Severity.WARNING, "clients-not-in-inventory", text, names)] if names else []


def _settings(f: Findings) -> list[Note]:
    if f.site is None or f.site.settings is not None:
        return []
    text = f"the site's logon methods are unknown: {f.site.settings_unknown}"
    return [Note(Severity.INFO, "site-settings-unknown", text, (f.site.server,))]


def _unread(f: Findings) -> list[Note]:
    """What could not be read, one note per reason (a rejected credential leaves every host
    unread for the same reason)."""
    by_reason = grouped_unread(f)
    return [
        Note(
            Severity.WARNING,
            "not-read",
            f"could not be read ({failure}): {', '.join(where)}: {reason}",
            tuple(dict.fromkeys(w.rsplit(" ", 1)[-1] for w in where)),
        )
        for (failure, reason), where in by_reason.items()
    ]


def grouped_unread(f: Findings) -> dict[tuple[str, str], list[str]]:
    """(failure, reason) -> ["site on SITE1", ...], in order."""
    found: dict[tuple[str, str], list[str]] = {}
    for u in f.facts.unread:
        found.setdefault((u.failure.value, u.reason), []).append(f"{u.part} on {u.host}")
    return found


_NOTES: tuple[NoteMaker, ...] = (
    _failing,
    _by_cause(
        ClientCause.UNINSTALLED,
        Severity.PROBLEM,
        "clients-uninstalled",
        "clients are not installed",
    ),
    _by_cause(
        ClientCause.NO_SITE_ACCOUNT,
        Severity.PROBLEM,
        "clients-without-site-account",
        "clients hold none of the accounts the site hands out: they fail at their next check-in",
    ),
    _stuck,
    _locked,
    _site_accounts,
    _by_cause(
        ClientCause.PENDING, Severity.INFO, "clients-pending", "clients have not checked in yet"
    ),
    _guest_open,
    _outside_inventory,
    _settings,
    _unread,
)
