"""PowerShell's parameter binder as the lab reproduces it."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import CommandCall, SecureString

from .conftest import SWITCH, call, failed, ok, run

PBE = "System.Management.Automation.ParameterBindingException"


def test_names_are_case_insensitive_and_prefixes_match(tb1: DomainBackend) -> None:
    """-NAME and the unique prefix -na both bind Get-LocalUser's -Name."""
    assert [u.to_string for u in ok(run(tb1, "CAP1", call("Get-LocalUser", NAME="Guest")))] == [
        "Guest"
    ]
    assert [u.to_string for u in ok(run(tb1, "CAP1", call("Get-LocalUser", na="Guest")))] == [
        "Guest"
    ]


def test_ambiguous_prefix_names_the_candidates(tb1: DomainBackend) -> None:
    """-P on Set-ItemProperty matches several parameters: AmbiguousParameter."""
    record = failed(
        run(tb1, "CAP1", call("Set-ItemProperty", P="HKLM:\\Software", Name="x", Value=1))
    )
    assert record.fully_qualified_error_id == (
        "AmbiguousParameter,Microsoft.PowerShell.Commands.SetItemPropertyCommand"
    )
    assert record.message.startswith("Parameter cannot be processed because the parameter name 'P'")
    assert "-Path" in record.message
    assert "-PassThru" in record.message
    assert record.exception_type == PBE
    assert record.category == "InvalidArgument"


def test_unknown_parameter(tb1: DomainBackend) -> None:
    """An unknown parameter name: NamedParameterNotFound, terminating."""
    record = failed(run(tb1, "CAP1", call("Get-LocalUser", Nmae="Guest")))
    assert record.message == "A parameter cannot be found that matches parameter name 'Nmae'."
    assert record.fully_qualified_error_id == (
        "NamedParameterNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    )


def test_positional_binding_and_extra_positional(tb1: DomainBackend) -> None:
    """Positionals fill declared positions; one too many is PositionalParameterNotFound."""
    assert [u.to_string for u in ok(run(tb1, "CAP1", call("Get-LocalUser", "Guest")))] == ["Guest"]
    record = failed(run(tb1, "CAP1", call("Get-LocalUser", "Guest", "extra")))
    assert record.message == "A positional parameter cannot be found that accepts argument 'extra'."
    assert record.fully_qualified_error_id.startswith("PositionalParameterNotFound,")


def test_missing_mandatory_parameter_fails_without_a_prompt(tb1: DomainBackend) -> None:
    """A remote session cannot prompt for a mandatory parameter."""
    record = failed(run(tb1, "DC1", call("New-ADUser", SamAccountName="x")))
    assert record.message == (
        "Cannot process command because of one or more missing mandatory parameters: Name."
    )
    assert record.fully_qualified_error_id == (
        "MissingMandatoryParameter,Microsoft.ActiveDirectory.Management.Commands.NewADUser"
    )


def test_parameter_without_its_argument(tb1: DomainBackend) -> None:
    """A non-switch parameter sent without a value: MissingArgument."""
    record = failed(run(tb1, "CAP1", call("Get-LocalUser", Name=SWITCH)))
    assert record.fully_qualified_error_id == (
        "MissingArgument,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    )
    assert record.message == (
        "Missing an argument for parameter 'Name'. Specify a parameter of type 'System.String[]' "
        "and try again."
    )


def test_parameter_given_twice(tb1: DomainBackend) -> None:
    """The same parameter twice (even by alias or prefix): ParameterAlreadyBound."""
    command = CommandCall("Get-LocalUser", (("Name", "Guest"), ("Na", "Administrator")))
    record = failed(run(tb1, "CAP1", command))
    assert record.fully_qualified_error_id.startswith("ParameterAlreadyBound,")


def test_secure_string_parameter_refuses_plain_text_without_showing_it(tb1: DomainBackend) -> None:
    """-AccountPassword accepts only a SecureString; the message never shows the password."""
    record = failed(run(tb1, "DC1", call("New-ADUser", Name="u1", AccountPassword="Sup3r-Secret!")))
    assert record.fully_qualified_error_id == (
        "CannotConvertArgumentNoMessage,Microsoft.ActiveDirectory.Management.Commands.NewADUser"
    )
    assert "Sup3r-Secret!" not in record.message
    assert "Sup3r-Secret!" not in repr(record)
    assert 'to type "System.Security.SecureString"' in record.message
    with tb1.inspect() as state:
        assert state.ad.store.user("u1") is None


def test_boolean_parameter_refuses_a_string(tb1: DomainBackend) -> None:
    """[bool] parameters accept only booleans and numbers."""
    record = failed(run(tb1, "DC1", call("New-ADUser", Name="u1", Enabled="yes")))
    assert record.fully_qualified_error_id.startswith("ParameterArgumentTransformationError,")
    assert "Boolean parameters accept only Boolean values and numbers" in record.message


def test_enum_parameter_lists_the_valid_names(tb1: DomainBackend) -> None:
    """-ErrorAction Bogus cannot be converted to ActionPreference."""
    record = failed(run(tb1, "CAP1", call("Get-LocalUser", ErrorAction="Bogus")))
    assert record.fully_qualified_error_id.startswith("CannotConvertArgumentNoMessage,")
    assert "System.Management.Automation.ActionPreference" in record.message
    assert "SilentlyContinue, Stop, Continue, Inquire, Ignore, Suspend" in record.message


def test_empty_string_for_a_mandatory_parameter(tb1: DomainBackend) -> None:
    """Test-Path -Path '' is a binding error, not $false."""
    record = failed(run(tb1, "CAP1", call("Test-Path", Path="")))
    assert (
        record.message == "Cannot bind argument to parameter 'Path' because it is an empty string."
    )
    assert record.fully_qualified_error_id == (
        "ParameterArgumentValidationErrorEmptyStringNotAllowed,"
        "Microsoft.PowerShell.Commands.TestPathCommand"
    )


def test_validate_not_null_or_empty_and_length(tb1: DomainBackend) -> None:
    """New-LocalUser -Name '' and a 21-character name fail validation (LocalAccounts tests)."""
    empty = failed(run(tb1, "CAP1", call("New-LocalUser", Name="", NoPassword=SWITCH)))
    assert empty.fully_qualified_error_id == (
        "ParameterArgumentValidationError,Microsoft.PowerShell.Commands.NewLocalUserCommand"
    )
    long = failed(run(tb1, "CAP1", call("New-LocalUser", Name="A" * 21, NoPassword=SWITCH)))
    assert long.fully_qualified_error_id == empty.fully_qualified_error_id
    assert "The character length of the 21 argument is too long" in long.message


def test_parameter_sets_that_cannot_be_resolved(tb1: DomainBackend) -> None:
    """-Name with -SID, or no group at all for Add-LocalGroupMember: AmbiguousParameterSet."""
    both = failed(run(tb1, "CAP1", call("Get-LocalUser", Name="Guest", SID="S-1-5-32-545")))
    assert both.fully_qualified_error_id == (
        "AmbiguousParameterSet,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    )
    none = failed(run(tb1, "CAP1", call("Add-LocalGroupMember", Member="Guest")))
    assert none.fully_qualified_error_id == (
        "AmbiguousParameterSet,Microsoft.PowerShell.Commands.AddLocalGroupMemberCommand"
    )


def test_binding_errors_ignore_error_action(tb1: DomainBackend) -> None:
    """Binding errors are terminating whatever -ErrorAction says."""
    record = failed(
        run(tb1, "CAP1", call("Get-LocalUser", Nmae="x", ErrorAction="SilentlyContinue"))
    )
    assert record.fully_qualified_error_id.startswith("NamedParameterNotFound,")


def test_switch_false_is_given_but_off(tb1: DomainBackend) -> None:
    """-Confirm:$false arrives as False and suppresses the High-impact prompt."""
    ok(run(tb1, "DC1", call("Remove-ADUser", "SMSClient_TB1", Confirm=False)))
    with tb1.inspect() as state:
        assert state.ad.store.user("SMSClient_TB1") is None


def test_secure_string_accepted(tb1: DomainBackend) -> None:
    """A SecureString binds to -AccountPassword."""
    ok(run(tb1, "DC1", call("New-ADUser", "u2", AccountPassword=SecureString("Str0ng-Pass!"))))
    with tb1.inspect() as state:
        assert state.ad.store.user("u2") is not None
