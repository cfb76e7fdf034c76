"""sms_connection_account with a password: the site keeps its own copy (KB Q236052, Q237759)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.engine.step import Status
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules import MODULES
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import DiffKind
from orchestrator.modules.sms_connection_account import (
    AccountListState,
    Args,
    SmsConnectionAccount,
)
from orchestrator.secrets import Secret

from .conftest import Host, args, changed_then_ok, undone

CANARY = "Canary-Site-Copy-4412!"
NEW = "CONTOSO\\SMSClient2_TB1"
OLD = "CONTOSO\\SMSClient_TB1"
MODULE = "sms_connection_account"


def _raw(account: str = NEW, **extra: object) -> dict[str, object]:
    return {"site_code": "TB1", "account": account, "password": Secret(CANARY), **extra}


def _given(account: str = NEW, **extra: object) -> ArgsModel:
    return args(MODULE, **_raw(account, **extra))


def _site_copy(lab: DomainBackend, account: str) -> str | None:
    """The password the lab's site hands to clients for `account` (None: none stored)."""
    with lab.inspect() as state:
        assert state.site is not None
        found = state.site.account(account)
        assert found is not None, account
        return None if found.password is None else found.password.reveal()


def test_a_new_account_is_added_with_its_password(lab: DomainBackend) -> None:
    """New-CMClientConnectionAccount gets -Password as a SecureString; the site stores it."""
    host = Host(lab, "SITE1")
    outcome = changed_then_ok(host, MODULE, _given())
    assert outcome.diff.summary == (
        f"add {NEW} to site TB1's connection accounts with its password"
    )
    assert outcome.diff.after == {"accounts": [OLD, NEW], "passwords_stored": [NEW]}
    new = f"New-CMClientConnectionAccount -SiteCode 'TB1' -UserName '{NEW}'"
    assert host.mutations() == [f"{new} -Password (SecureString) -ErrorAction 'Stop'"]
    assert _site_copy(lab, NEW) == CANARY
    assert CANARY not in repr(outcome)


def test_a_listed_account_without_a_site_copy_gets_its_password_set(lab: DomainBackend) -> None:
    """PasswordStored false: Set-CMClientConnectionAccount -Password, then nothing to do."""
    host = Host(lab, "SITE1")
    outcome = changed_then_ok(host, MODULE, _given(OLD))
    assert outcome.diff.summary == f"set the site's password of {OLD} (the site holds none)"
    assert outcome.diff.before == {"accounts": [OLD], "passwords_stored": []}
    assert outcome.diff.after == {"accounts": [OLD], "passwords_stored": [OLD]}
    assert [c.cmdlet for c in host.sent if c.mutating] == ["Set-CMClientConnectionAccount"]
    assert _site_copy(lab, OLD) == CANARY
    assert outcome.undo == ()  # the site cannot be told to forget a password; it harms nothing


def test_a_stored_password_is_never_set_again(lab: DomainBackend) -> None:
    """An account whose site copy is stored: no change (it cannot be compared), said so."""
    host = Host(lab, "SITE1")
    host.step(MODULE, _given())
    other = args(MODULE, site_code="TB1", account=NEW, password=Secret("Other-Pass-7781!"))
    sent = len(host.sent)
    outcome = host.step(MODULE, other)
    assert outcome.status is Status.OK
    assert "never re-set" in outcome.diff.summary
    assert all(not c.mutating for c in host.sent[sent:])
    assert _site_copy(lab, NEW) == CANARY


def test_undoing_an_addition_with_a_password_removes_it(lab: DomainBackend) -> None:
    """The undo of an added account still removes it: the list reads as it did before."""
    undone(Host(lab, "SITE1"), MODULE, _given())


def test_a_removal_says_its_undo_cannot_restore_the_password(lab: DomainBackend) -> None:
    """Removing an account the site holds a password for: the summary says the undo loses it."""
    host = Host(lab, "SITE1")
    host.step(MODULE, _given())
    outcome = host.step(MODULE, args(MODULE, site_code="TB1", account=NEW, state="absent"))
    assert outcome.diff.summary == (
        f"remove {NEW} from site TB1's connection accounts (an undo adds it back without its"
        " password)"
    )
    host.undo(outcome.undo)
    assert _site_copy(lab, NEW) is None


def test_an_absent_account_takes_no_password() -> None:
    """`state: absent` with a password is refused, and the error does not show it."""
    with pytest.raises(ValidationError) as info:
        _given(state="absent")
    assert "takes no 'password'" in str(info.value)
    assert CANARY not in str(info.value)


def test_a_literal_password_is_refused() -> None:
    """The password must come from a declared secret, as for ad_user."""
    with pytest.raises(ValidationError, match="declared secret"):
        MODULES[MODULE].args.model_validate({"site_code": "TB1", "account": NEW, "password": "x"})


def test_a_plan_predicts_from_the_facts_an_earlier_step_leaves() -> None:
    """state_from_facts reads the list and the stored passwords; older facts are not guessed."""
    module = SmsConnectionAccount()
    state = module.state_from_facts({"accounts": [OLD, NEW], "passwords_stored": [NEW]})
    assert state == AccountListState((OLD, NEW), (NEW,))
    assert module.diff(Args.model_validate(_raw()), state).kind is DiffKind.NONE
    assert module.diff(Args.model_validate(_raw(OLD)), state).kind is DiffKind.CHANGE
    assert module.state_from_facts({"accounts": [OLD]}) is None
