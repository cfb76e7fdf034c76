"""Constructed facts for the diagnosis tests: the article's broken site, a healthy one, and
small edits of them (no host, no lab: the rules are pure)."""

from __future__ import annotations

from dataclasses import replace

from orchestrator.diagnosis.facts import (
    E_ACCESSDENIED,
    AccountFacts,
    CapFacts,
    ClientHostFacts,
    ClientStatus,
    DirectoryFacts,
    Facts,
    Scope,
    SiteFacts,
    SiteSettings,
)
from orchestrator.diagnosis.findings import Findings, find

SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"
OLD = "CONTOSO\\SMSClient_TB1"
SECOND = "CONTOSO\\SMSClient2_TB1"
CLIENTS = ("WKS0001", "WKS0002", "WKS0003")
DOMAIN_SID = "S-1-5-21-1-2-3"
LOGON_ON = SiteSettings(
    logon_discovery=True,
    logon_installation=True,
    logon_points=("SITE1",),
    logon_share="\\\\SITE1\\SMSLOGON",
    smsman_path="\\\\SITE1\\SMSLOGON\\x86.bin\\00000409\\Smsman.exe",
)
SCOPE = Scope(
    site_servers=("SITE1",),
    domain_controllers=("DC1",),
    caps=("DC1", "CAP1"),
    clients=CLIENTS,
    logon_points=("SITE1",),
    operators=("CONTOSO\\labadmin",),
)


def failing(name: str, *accounts: str, error: int = E_ACCESSDENIED) -> ClientStatus:
    """An installed client failing with `error`, holding `accounts`."""
    return ClientStatus(name, True, "Failing", error, accounts or (OLD,), (), "2000/01/01 15:00.00")


def checked_in(name: str, *accounts: str) -> ClientStatus:
    """An installed client that checked in, holding `accounts`."""
    return ClientStatus(
        name, True, "CheckedIn", 0, accounts or (OLD, SECOND), (), "2000/01/04 15:00.00"
    )


def account(name: str, rid: int = 1104, **changes: object) -> AccountFacts:
    """An existing, enabled, unlocked AD account (edit it with `changes`)."""
    sam = name.rsplit("\\", 1)[-1]
    base = AccountFacts(name, sam, exists=True, sid=f"{DOMAIN_SID}-{rid}", enabled=True,
                        locked_out=False, bad_logon_count=0)  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def locked(name: str = OLD) -> AccountFacts:
    """The article's account: locked out by the clients' retries."""
    return account(name, locked_out=True, bad_logon_count=5, lockout_time="2000-01-04T15:00:08Z",
                   last_bad_password_attempt="2000-01-04T15:00:08Z")  # fmt: skip


def caps(lbpu: int | None = 0) -> tuple[CapFacts, ...]:
    """DC1 (a DC, the domain Guest) and CAP1 (a member server, its local Guest)."""
    return (
        CapFacts("DC1", True, "Guest", f"{DOMAIN_SID}-501", False, 0),
        CapFacts("CAP1", False, "Guest", "S-1-5-21-9-9-9-501", False, lbpu),
    )


def client_hosts(guest: int | None = 1, smsman: bool = True) -> tuple[ClientHostFacts, ...]:
    """Every client host read: its AllowInsecureGuestAuth and its own Smsman.exe."""
    return tuple(ClientHostFacts(n, guest, ((SMSMAN, smsman),)) for n in CLIENTS)


def broken(**changes: object) -> Facts:
    """Q236052's site: one account, its password changed, every client failing with
    #2147942405 and locking it out; logon methods on; Guest could work everywhere."""
    site = SiteFacts("SITE1", "TB1", (OLD,), tuple(failing(n) for n in CLIENTS), LOGON_ON)
    directory = DirectoryFacts("DC1", "CONTOSO", DOMAIN_SID, (locked(),), ("SMSClient_TB1",))
    facts = Facts("TB1", SCOPE, SMSMAN, site, directory, caps(), client_hosts())
    return replace(facts, **changes)  # type: ignore[arg-type]


def healthy(**changes: object) -> Facts:
    """Two valid accounts, every client checked in holding both."""
    site = SiteFacts("SITE1", "TB1", (OLD, SECOND), tuple(checked_in(n) for n in CLIENTS), LOGON_ON)
    directory = DirectoryFacts("DC1", "CONTOSO", DOMAIN_SID, (account(OLD), account(SECOND, 1105)))
    facts = Facts("TB1", SCOPE, SMSMAN, site, directory, caps(), client_hosts())
    return replace(facts, **changes)  # type: ignore[arg-type]


def with_site(facts: Facts, **changes: object) -> Facts:
    """The facts with the site's facts edited."""
    assert facts.site is not None
    return replace(facts, site=replace(facts.site, **changes))  # type: ignore[arg-type]


def with_accounts(facts: Facts, *accounts: AccountFacts) -> Facts:
    """The facts with the directory's accounts replaced."""
    assert facts.directory is not None
    return replace(facts, directory=replace(facts.directory, accounts=accounts))


def findings(facts: Facts) -> Findings:
    """The findings of the facts."""
    return find(facts)
