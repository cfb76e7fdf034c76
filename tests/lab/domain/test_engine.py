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


def _script(text: str) -> CommandCall:
    return CommandCall(text, is_script=True)


def test_script_text_outside_the_subset_fails_to_parse_naming_the_construct(
    tb1: DomainBackend,
) -> None:
    """Script text the lab does not run fails before any statement: ParserError, ParseException,
    a message naming the construct and where it is; nothing of the script is run or echoed."""
    script = _script("Disable-LocalUser Administrator\nGet-LocalUser | Where-Object { $_.Enabled }")
    record = failed(run(tb1, "CAP1", script))
    assert record.message == (
        "The lab does not support script blocks in script text (at line 2, char 30 '{'). It runs "
        "simple statements: cmdlets with literal arguments, separated by ';', '|' or newlines, "
        "and exit."
    )
    assert record.fully_qualified_error_id == "ScriptsNotAllowed"
    assert record.category == "ParserError"
    assert record.exception_type == "System.Management.Automation.ParseException"
    assert record.target_object is None
    assert tb1.local_account("CAP1", "Administrator").enabled  # type: ignore[union-attr]


def test_script_text_runs_its_statements_in_order(tb1: DomainBackend) -> None:
    """Each statement's output, in order; `|` pipes; the pipeline completes without an exit."""
    result = run(tb1, "CAP1", _script("Get-LocalUser -Name Guest; Get-LocalUser Administrator"))
    assert [u.properties["Name"] for u in ok(result)] == ["Guest", "Administrator"]
    assert result.exit_code is None
    ok(run(tb1, "CAP1", _script("Get-LocalUser -Name Guest | Enable-LocalUser")))
    assert tb1.local_account("CAP1", "Guest").enabled  # type: ignore[union-attr]


def test_a_statement_terminating_error_goes_on_to_the_next_statement(tb1: DomainBackend) -> None:
    """An unknown command, a binding error or a cmdlet's own error is written to the error
    stream and the script goes on, as a script does; the pipeline completes."""
    text = "Get-Thing; Get-LocalUser -Bogus 1; Get-LocalUser Nobody; Get-LocalUser Guest"
    result = run(tb1, "CAP1", _script(text))
    assert result.terminating is None
    assert [e.fully_qualified_error_id.split(",")[0] for e in result.errors] == [
        "CommandNotFoundException",
        "NamedParameterNotFound",
        "UserNotFound",
    ]
    assert [u.properties["Name"] for u in result.outputs] == ["Guest"]


def test_error_action_stop_ends_the_script(tb1: DomainBackend) -> None:
    """-ErrorAction Stop is script-terminating: the pipeline fails, later statements never run."""
    text = "Get-LocalUser Nobody -ErrorAction Stop; Disable-LocalUser Administrator"
    record = failed(run(tb1, "CAP1", _script(text)))
    assert record.fully_qualified_error_id.startswith("UserNotFound,")
    assert tb1.local_account("CAP1", "Administrator").enabled  # type: ignore[union-attr]


def test_exit_ends_the_script_with_its_code(tb1: DomainBackend) -> None:
    """`exit N` stops the script there and gives its code; later statements never run."""
    result = run(
        tb1, "CAP1", _script("Get-LocalUser Guest\nexit 4\nDisable-LocalUser Administrator")
    )
    assert result.exit_code == 4
    assert [u.properties["Name"] for u in ok(result)] == ["Guest"]
    assert tb1.local_account("CAP1", "Administrator").enabled  # type: ignore[union-attr]
    assert run(tb1, "CAP1", _script("Get-Date\nexit $LASTEXITCODE")).exit_code == 0


def test_script_text_with_parameters_or_piped_into_commands_is_refused(tb1: DomainBackend) -> None:
    """Parameters for a script need a param() block, and a script piped into commands an
    expression: both are named as unsupported."""
    with_params = CommandCall("Get-Date", (("Format", "o"),), is_script=True)
    assert "parameters passed to script text" in failed(run(tb1, "CAP1", with_params)).message
    piped = run(tb1, "CAP1", _script("Get-LocalUser"), CommandCall("Disable-LocalUser"))
    assert "script text piped into commands" in failed(piped).message


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
