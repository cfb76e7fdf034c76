"""Pipelines: unknown commands, script text, -ErrorAction, -WhatIf, piping, statements, stop."""

from __future__ import annotations

import threading

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import CommandCall, Statement

from .conftest import ADMIN, SWITCH, call, failed, ok, only_error, run, run_statements


def test_unknown_command_is_powershells_command_not_found(tb1: DomainBackend) -> None:
    """An unknown command: CommandNotFoundException with PowerShell's exact message."""
    record = failed(run(tb1, "DC1", call("Get-Thing")))
    assert record.message == (
        "The term 'Get-Thing' is not recognized as the name of a cmdlet, function, script file, "
        "or operable program. Check the spelling of the name, or if a path was included, verify "
        "that the path is correct and try again."
    )
    assert record.fully_qualified_error_id == "CommandNotFoundException"
    assert record.category == "ObjectNotFound"
    assert record.exception_type == "System.Management.Automation.CommandNotFoundException"
    assert (record.target_name, record.target_type) == ("Get-Thing", "String")


def test_cmdlets_exist_only_where_their_module_is(tb1: DomainBackend) -> None:
    """The AD module is on DCs, the site's console module on the site server only."""
    assert failed(run(tb1, "WKS0001", call("Get-ADUser", "Guest"))).fully_qualified_error_id == (
        "CommandNotFoundException"
    )
    assert failed(run(tb1, "DC1", call("Get-CMClientStatus"))).fully_qualified_error_id == (
        "CommandNotFoundException"
    )
    ok(run(tb1, "SITE1", call("Get-CMClientStatus")))


def test_script_text_is_refused_like_a_no_language_endpoint(tb1: DomainBackend) -> None:
    """add_script text is never interpreted: ScriptsNotAllowed, ParserError, ParseException."""
    script = CommandCall("Get-LocalUser | Where-Object { $_.Enabled }", is_script=True)
    record = failed(run(tb1, "CAP1", script))
    assert record.message == (
        "The syntax is not supported by this runspace. This can occur if the runspace is in "
        "no-language mode."
    )
    assert record.fully_qualified_error_id == "ScriptsNotAllowed"
    assert record.category == "ParserError"
    assert record.exception_type == "System.Management.Automation.ParseException"


def test_error_action_stop_makes_a_non_terminating_error_terminating(tb1: DomainBackend) -> None:
    """-ErrorAction Stop: the same record, now terminating; later statements do not run."""
    result = run_statements(
        tb1,
        "CAP1",
        call("Get-LocalUser", "Nobody", ErrorAction="Stop"),
        call("Disable-LocalUser", "Administrator"),
    )
    record = failed(result)
    assert record.fully_qualified_error_id == (
        "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    )
    assert result.errors == []
    assert tb1.local_account("CAP1", "Administrator") is not None
    assert tb1.local_account("CAP1", "Administrator").enabled  # type: ignore[union-attr]


def test_silently_continue_and_ignore_suppress_errors(tb1: DomainBackend) -> None:
    """SilentlyContinue and Ignore drop non-terminating errors."""
    for action in ("SilentlyContinue", "Ignore", "silentlycontinue"):
        result = run(tb1, "CAP1", call("Get-LocalUser", "Nobody", ErrorAction=action))
        assert result.errors == []
        assert result.terminating is None


def test_error_action_does_not_touch_terminating_errors(tb1: DomainBackend) -> None:
    """An AD not-found is terminating even with -ErrorAction SilentlyContinue."""
    result = run(tb1, "DC1", call("Get-ADUser", "nobody", ErrorAction="SilentlyContinue"))
    assert failed(result).fully_qualified_error_id.startswith("ActiveDirectoryCmdlet:")


def test_what_if_changes_nothing_and_says_what_it_would_do(tb1: DomainBackend) -> None:
    """-WhatIf: no change; the 'What if:' line goes to the verbose stream."""
    guest_sid = tb1.local_account("CAP1", "Guest").sid  # type: ignore[union-attr]
    before = tb1.state_digest()
    result = run(tb1, "CAP1", call("Enable-LocalUser", SID=guest_sid, WhatIf=SWITCH))
    ok(result)
    assert result.verbose == [
        'What if: Performing the operation "Enable local user" on target "Guest".'
    ]
    assert tb1.state_digest() == before


def test_objects_flow_through_the_pipeline(tb1: DomainBackend) -> None:
    """Get-LocalUser Guest | Enable-LocalUser enables the piped user."""
    ok(run(tb1, "CAP1", call("Get-LocalUser", "Guest"), call("Enable-LocalUser")))
    assert tb1.local_account("CAP1", "Guest").enabled  # type: ignore[union-attr]


def test_input_that_cannot_be_bound(tb1: DomainBackend) -> None:
    """Piping into a cmdlet without pipeline parameters: InputObjectNotBound (non-terminating)."""
    record = only_error(run(tb1, "DC1", call("Get-Date"), call("Get-ADDomain")))
    assert record.fully_qualified_error_id == (
        "InputObjectNotBound,Microsoft.ActiveDirectory.Management.Commands.GetADDomain"
    )


def test_statements_run_in_order_and_a_terminating_error_stops_the_rest(tb1: DomainBackend) -> None:
    """Outputs of all statements accumulate; a terminating error ends the pipeline."""
    result = run_statements(
        tb1, "DC1", call("Get-ADDomain"), call("Get-ADUser", "nobody"), call("Get-ADDomain")
    )
    assert len(result.outputs) == 1
    assert failed(result).category == "ObjectNotFound"


def test_a_stopped_pipeline_reports_stopped(tb1: DomainBackend) -> None:
    """A stop signalled before the command runs gives a stopped result."""
    stop = threading.Event()
    stop.set()
    result = tb1.invoke("DC1", ADMIN, [Statement((call("Get-ADDomain"),))], stop)
    assert result.stopped
    assert result.outputs == []


def test_explicit_confirm_prompts_even_for_medium_impact(tb1: DomainBackend) -> None:
    """-Confirm on a Medium-impact cmdlet asks too, and the prompt fails over remoting."""
    record = failed(run(tb1, "CAP1", call("Enable-LocalUser", "Guest", Confirm=SWITCH)))
    assert record.fully_qualified_error_id == (
        "HostFunctionNotImplemented,Microsoft.PowerShell.Commands.EnableLocalUserCommand"
    )
    assert 'Performing the operation "Enable local user" on target "Guest".' in record.message
    assert not tb1.local_account("CAP1", "Guest").enabled  # type: ignore[union-attr]
