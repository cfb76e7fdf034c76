"""Commands through pypsrp to the lab: plain values out, error records in the result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.commands import SWITCH, Command, RemoteObject
from orchestrator.secrets import Secret
from orchestrator.transport.psrp import PsrpTransport

from .conftest import ClientFactory

pytestmark = pytest.mark.e2e


def test_cmdlet_output_arrives_as_plain_values(lab_client: ClientFactory) -> None:
    """A cmdlet's objects come back as RemoteObjects of plain values, enums as their names."""
    client = lab_client()
    (domain,) = client.run("DC1", "Get-ADDomain").outputs
    assert isinstance(domain, RemoteObject)
    assert domain["NetBIOSName"] == "CONTOSO"
    assert "Microsoft.ActiveDirectory.Management.ADDomain" in domain.type_names
    users = client.run("CAP1", "Get-LocalUser").outputs
    guest = next(u for u in users if str(u["SID"]).endswith("-501"))
    assert guest["Enabled"] is False
    assert all(isinstance(u, RemoteObject) for u in users)


def test_non_terminating_error_is_an_error_info(lab_client: ClientFactory) -> None:
    """A non-terminating error (pipeline Completed, had_errors False) is still in the result."""
    result = lab_client().run("CAP1", "Get-LocalUser", Name="NoSuchUser")
    (error,) = result.errors
    assert not result.ok
    assert error.fq_error_id == "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    assert error.category == "ObjectNotFound"
    assert error.target == "NoSuchUser"
    assert error.exception_type == "Microsoft.PowerShell.Commands.UserNotFoundException"
    assert error.message == "User NoSuchUser was not found."
    assert error.terminating is False


def test_terminating_error_is_an_error_info(lab_client: ClientFactory) -> None:
    """-ErrorAction Stop fails the pipeline: one ErrorInfo, marked terminating, nothing raised."""
    result = lab_client().run("CAP1", "Get-LocalUser", Name="NoSuchUser", ErrorAction="Stop")
    (error,) = result.errors
    assert error.error_id == "UserNotFound"
    assert error.terminating is True
    assert result.error("UserNotFound") is error


def test_unknown_cmdlet_is_an_error_result(lab_client: ClientFactory) -> None:
    """A cmdlet the host does not have is CommandNotFoundException in the result."""
    (error,) = lab_client().run("DC1", "Get-Bogus").errors
    assert error.fq_error_id == "CommandNotFoundException"
    assert error.terminating is True


def test_script_refused_by_the_lab_is_an_error_result(lab_client: ClientFactory) -> None:
    """A script command goes out with add_script; the lab's refusal comes back as an error."""
    client = lab_client()
    result = client.transport("DC1").run(Command("Get-Date", (("Format", "o"),), is_script=True))
    (error,) = result.errors
    assert error.fq_error_id == "ScriptsNotAllowed"
    assert error.terminating is True


def test_switch_and_false_parameters(lab_client: ClientFactory) -> None:
    """SWITCH is a bare switch and False a `-Name:$false`: -Confirm:$false lets Remove-ADUser run."""
    client = lab_client()
    created = client.run("DC1", "New-ADUser", Name="tempuser", PassThru=SWITCH)
    assert created.ok, created.errors
    assert created.outputs[0]["SamAccountName"] == "tempuser"
    assert client.run("DC1", "Remove-ADUser", Identity="tempuser", Confirm=False).ok
    assert client.run("DC1", "Get-ADUser", Identity="tempuser").error(
        "ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException"
    )


def test_secret_parameter_is_sent_as_a_securestring(lab_client: ClientFactory) -> None:
    """A Secret reaches the host as a SecureString: the account then logs on with that password."""
    client = lab_client()
    password = Secret("Zq7-Tulip-Lantern-42", "new_account_password")
    created = client.run("DC1", "New-ADUser", Name="svcnew", AccountPassword=password, Enabled=True)
    assert created.ok, created.errors
    assert client.run("DC1", "Add-ADGroupMember", Identity="Domain Admins", Members=["svcnew"]).ok
    with PsrpTransport(client.host("DC1"), ("CONTOSO\\svcnew", password)) as as_new_user:
        (user,) = as_new_user.run(Command.of("Get-ADUser", Identity="svcnew")).outputs
    assert user["Enabled"] is True
    assert client.counters().auth_failures == {}


def test_unsendable_value_is_refused_before_sending(lab_client: ClientFactory) -> None:
    """A parameter value of a type we cannot serialize is a TypeError; nothing reaches the host."""
    client = lab_client()
    assert client.run("DC1", "Get-ADDomain").ok
    before = client.counters().http_requests
    with pytest.raises(TypeError, match="datetime"):
        client.run(
            "DC1", "Set-ADUser", Identity="labadmin", AccountExpirationDate=datetime.now(UTC)
        )
    assert client.counters().http_requests == before
    assert client.run("DC1", "Get-ADDomain").ok
    assert client.counters().soap_requests("Create", "DC1") == 1


def test_one_pool_serves_every_command(lab_client: ClientFactory) -> None:
    """Ten commands, a key exchange included, go through one WSMan Create and one connection."""
    client = lab_client()
    for i in range(9):
        assert client.run("DC1", "Get-ADUser", Identity="labadmin").ok, i
    assert client.run(
        "DC1",
        "Set-ADAccountPassword",
        Identity="labadmin",
        Reset=SWITCH,
        NewPassword=Secret(client.login[1].reveal()),
    ).ok
    counters = client.counters()
    assert counters.soap_requests("Create", "DC1") == 1
    assert counters.soap_requests("Command", "DC1") == 10
    assert counters.tcp_connections == 1
    assert counters.open_shells == {"DC1": 1}
    client.connector.close_all()
    assert client.counters().open_shells == {}
