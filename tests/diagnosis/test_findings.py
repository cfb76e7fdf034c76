"""What the facts mean: each client's cause, each account's state and who locks it, the notes."""

from __future__ import annotations

from dataclasses import replace

from orchestrator.diagnosis.accounts import AccountState
from orchestrator.diagnosis.clients import ClientCause
from orchestrator.diagnosis.codes import decode
from orchestrator.diagnosis.facts import ClientStatus
from orchestrator.diagnosis.findings import Severity

from .sites import (
    OLD,
    SECOND,
    account,
    broken,
    checked_in,
    failing,
    findings,
    healthy,
    locked,
    with_accounts,
    with_site,
)


def _notes(facts: object) -> dict[str, Severity]:
    return {n.code: n.severity for n in findings(facts).notes}  # type: ignore[arg-type]


def test_the_article_error_is_decoded_as_access_denied() -> None:
    """#2147942405 is 0x80070005, E_ACCESSDENIED, the article's error; 0 is no error."""
    error = decode(2147942405)
    assert (error.hex, error.symbol) == ("0x80070005", "E_ACCESSDENIED")
    assert error.describe().startswith("#2147942405 (0x80070005, E_ACCESSDENIED): access denied")
    assert decode(0).none
    assert decode(2147942453).symbol == "ERROR_BAD_NETPATH"
    assert decode(0x80004005).symbol == ""  # not a Win32 HRESULT: shown, not named


def test_the_articles_site_fails_with_a_stale_password_and_a_locked_account() -> None:
    """Every client fails with access denied holding an account that exists (stale password);
    the account is locked out, and every failing client that knows it is a likely locker."""
    f = findings(broken())
    assert {c.cause for c in f.clients} == {ClientCause.STALE_PASSWORD}
    assert all(c.repairable and c.broken for c in f.clients)
    (old,) = f.accounts
    assert old.state is AccountState.LOCKED_OUT
    assert old.lockers == ("WKS0001", "WKS0002", "WKS0003")
    assert old.listed_locked is True
    notes = _notes(broken())
    assert notes["clients-failing"] is Severity.PROBLEM
    assert notes["account-locked-out"] is Severity.PROBLEM
    assert notes["no-valid-account"] is Severity.PROBLEM
    assert notes["too-few-accounts"] is Severity.WARNING
    assert not f.healthy


def test_a_client_holding_only_deleted_accounts_fell_to_guest() -> None:
    """Access denied with accounts that no longer exist: Windows tried Guest, Guest is closed."""
    facts = with_accounts(broken(), account(OLD, exists=False))
    (client, *_) = findings(facts).clients
    assert client.cause is ClientCause.ACCOUNTS_GONE
    assert "Guest" in client.explanation
    assert findings(facts).accounts[0].state is AccountState.MISSING


def test_a_checked_in_client_holding_none_of_the_sites_accounts_is_repairable() -> None:
    """Checked in so far, but the site no longer hands out what it holds: it fails next time."""
    facts = with_site(healthy(), clients=(checked_in("WKS0001", "CONTOSO\\Retired_TB1"),))
    (client,) = findings(facts).clients
    assert client.cause is ClientCause.NO_SITE_ACCOUNT
    assert client.repairable
    assert "clients-without-site-account" in _notes(facts)
    assert not findings(facts).healthy


def test_uninstalled_stuck_and_other_errors_are_told_apart() -> None:
    """Uninstalled, an unreadable Site Config Last Checked (Q265358), another HRESULT: each
    named; only the account failures are repairable by Q236052's methods."""
    stuck = replace(
        failing("WKS0002"), site_config_last_checked="06/13/2000", timestamp_readable=False
    )
    clients = (
        ClientStatus("WKS0001", False, "Uninstalled"),
        stuck,
        failing("WKS0003", error=2147942453),
    )
    f = findings(with_site(broken(), clients=clients))
    causes = {c.name: (c.cause, c.stuck, c.repairable) for c in f.clients}
    assert causes == {
        "WKS0001": (ClientCause.UNINSTALLED, False, False),
        "WKS0002": (ClientCause.STALE_PASSWORD, True, True),
        "WKS0003": (ClientCause.OTHER_ERROR, False, False),
    }
    codes = {n.code for n in f.notes}
    assert {"clients-uninstalled", "clients-stuck", "clients-failing"} <= codes
    assert "Q265358" in f.clients[1].explanation


def test_account_states_follow_ad_and_the_sites_list() -> None:
    """Valid only when it exists, is enabled, is not locked and the site hands it out."""
    retired = "CONTOSO\\Retired_TB1"
    clients = (checked_in("WKS0001", OLD, SECOND, retired),)
    facts = with_accounts(
        with_site(healthy(), clients=clients),
        account(OLD),
        account(SECOND, 1105, enabled=False),
        account(retired, 1106),
    )
    states = {a.name: a.state for a in findings(facts).accounts}
    assert states == {
        OLD: AccountState.VALID,
        SECOND: AccountState.DISABLED,
        retired: AccountState.NOT_IN_SITE,
    }
    assert "site-account-invalid" in _notes(facts)


def test_operator_and_built_in_accounts_are_protected() -> None:
    """The inventory's operator and RID < 1000 accounts are never candidates for deletion."""
    admin = "CONTOSO\\labadmin"
    builtin = "CONTOSO\\Renamed"
    clients = (failing("WKS0001", admin, builtin, OLD),)
    facts = with_accounts(
        with_site(broken(), clients=clients), locked(), account(admin, 1000), account(builtin, 500)
    )
    protected = {a.name: a.protected for a in findings(facts).accounts}
    assert protected == {OLD: False, admin: True, builtin: True}


def test_without_the_directory_the_sites_view_of_lockouts_is_used() -> None:
    """The directory unread: a refused client's cause is plain access denied, unless the site
    itself reports the account locked out (then it exists, and its password is stale)."""
    unknown = findings(broken(directory=None))
    assert {c.cause for c in unknown.clients} == {ClientCause.ACCESS_DENIED}
    assert unknown.accounts[0].state is AccountState.UNKNOWN
    clients = tuple(replace(failing(n), locked_out_accounts=(OLD,)) for n in ("WKS0001", "WKS0002"))
    seen = findings(with_site(broken(directory=None), clients=clients))
    assert seen.accounts[0].state is AccountState.LOCKED_OUT
    assert {c.cause for c in seen.clients} == {ClientCause.STALE_PASSWORD}


def test_a_healthy_site_with_two_accounts_has_no_note() -> None:
    """Every client checked in with two valid accounts: no note at all, healthy."""
    f = findings(healthy())
    assert f.notes == ()
    assert f.healthy


def test_an_enabled_guest_on_a_cap_is_a_warning() -> None:
    """Guest left enabled outside a window is a security warning (Q236052: close it)."""
    from .sites import caps

    dc, cap = caps()
    facts = healthy(caps=(dc, replace(cap, guest_enabled=True)))
    assert _notes(facts) == {"guest-enabled": Severity.WARNING}
    assert findings(facts).healthy
