"""sms_connection_account against the lab's site: adding, removing and undoing accounts."""

from __future__ import annotations

import pytest

from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError
from orchestrator.lab.backend import DomainBackend

from .conftest import Host, args, changed_then_ok, undone

NEW = "CONTOSO\\SMSClient2_TB1"
OLD = "CONTOSO\\SMSClient_TB1"


def test_adding_an_account_at_the_end(lab: DomainBackend) -> None:
    """New-CMClientConnectionAccount once; the list is [old, new]; a rerun is ok."""
    host = Host(lab, "SITE1")
    outcome = changed_then_ok(
        host, "sms_connection_account", args("sms_connection_account", site_code="TB1", account=NEW)
    )
    assert outcome.diff.after == {"accounts": [OLD, NEW], "passwords_stored": []}
    state = host.probe(
        "sms_connection_account", args("sms_connection_account", site_code="TB1", account=NEW)
    )
    assert state.accounts == (OLD, NEW)


def test_names_compare_case_insensitively(lab: DomainBackend) -> None:
    """contoso\\smsclient_tb1 is the account already there: no change."""
    given = args("sms_connection_account", site_code="TB1", account=OLD.lower())
    assert Host(lab, "SITE1").step("sms_connection_account", given).status is Status.OK


def test_undo_of_an_addition_removes_it(lab: DomainBackend) -> None:
    """Undoing the addition leaves the site's list as it was."""
    undone(
        Host(lab, "SITE1"),
        "sms_connection_account",
        args("sms_connection_account", site_code="TB1", account=NEW),
    )


def test_removing_the_old_account_and_undoing_it(lab: DomainBackend) -> None:
    """absent removes it (a rerun is ok); the undo adds it back."""
    undone(
        Host(lab, "SITE1"),
        "sms_connection_account",
        args("sms_connection_account", site_code="TB1", account=OLD, state="absent"),
    )


def test_a_host_without_the_site_console_fails(lab: DomainBackend) -> None:
    """On a host without the site's cmdlets: CommandNotFoundException."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "CAP1").probe(
            "sms_connection_account", args("sms_connection_account", site_code="TB1", account=NEW)
        )
    assert info.value.fq_error_id == "CommandNotFoundException"


def test_an_unknown_site_fails(lab: DomainBackend) -> None:
    """A site code the provider does not know: SiteNotFound."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "SITE1").probe(
            "sms_connection_account", args("sms_connection_account", site_code="XX9", account=NEW)
        )
    assert info.value.fq_error_id.startswith("SiteNotFound,")
