"""PowerShell Remoting through unmodified pypsrp: objects, error records, SecureString, streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.complex_objects import GenericComplexObject, ObjectMeta, PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool

from orchestrator.lab.contract import CommandCall, SecureString, Statement
from orchestrator.lab.psrp import pool as pipeline_cache
from orchestrator.lab.server import LabServer

from .conftest import ClientFactory
from .fakes import LOCAL_USER_TYPES, FakeBackend


@pytest.fixture(params=["basic", "ntlm"])
def pool(request: pytest.FixtureRequest, client: ClientFactory) -> Iterator[RunspacePool]:
    """An open RunspacePool on dc01, over Basic and over sealed NTLM."""
    with RunspacePool(client(auth=request.param)) as opened:
        yield opened


def _run(pool: RunspacePool, cmdlet: str, **parameters: object) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in parameters.items():
        ps.add_parameter(name, value)
    ps.invoke()
    return ps


def test_output_object_has_type_names_properties_and_tostring(pool: RunspacePool) -> None:
    """A cmdlet's object arrives with its TypeNames, adapted properties and ToString."""
    ps = _run(pool, "Get-LocalUser", Name="Guest")
    (user,) = ps.output
    assert isinstance(user, GenericComplexObject)
    assert user.types == list(LOCAL_USER_TYPES)
    assert str(user) == "Guest"
    props = user.adapted_properties
    assert props["Name"] == "Guest"
    assert props["Enabled"] is False
    assert props["SID"].endswith("-501")
    assert props["Description"] is None
    assert props["PasswordLastSet"].startswith("2024-05-01T12:30:00")
    source = props["PrincipalSource"]
    assert source.types[:2] == ["Microsoft.PowerShell.Commands.PrincipalSource", "System.Enum"]
    assert str(source) == "Local"
    assert ps.had_errors is False
    assert ps.streams.error == []


def test_nested_objects_lists_dicts_and_primitives(pool: RunspacePool) -> None:
    """Nested objects, lists, dicts, bytes, durations, doubles, strings and ints keep their shape."""
    outer, text, number = _run(pool, "Get-Nested").output
    props = outer.adapted_properties
    assert outer.types == ["Lab.Outer", "System.Object"]
    inner = props["Inner"]
    assert inner.types == ["Lab.Inner", "System.Object"]
    assert inner.adapted_properties == {"Depth": 2, "Ratio": 0.5}
    assert props["Tags"] == ["a", "b"]
    assert props["Map"] == {"k": 1}
    assert props["Blob"] == b"\x00\x01"
    assert props["Span"] == "PT1H30M"
    assert (text, number) == ("plain string", 42)


def test_non_terminating_error_record(pool: RunspacePool) -> None:
    """A non-terminating error leaves had_errors False and puts Windows' record in streams.error."""
    ps = _run(pool, "Get-LocalUser", Name="Guest2")
    assert ps.had_errors is False
    assert ps.state == PSInvocationState.COMPLETED
    (error,) = ps.streams.error
    assert str(error) == "User Guest2 was not found."
    assert error.fq_error == "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    assert error.category == 13  # ErrorCategory.ObjectNotFound
    assert error.activity == "Get-LocalUser"
    assert error.reason == "UserNotFoundException"
    assert (error.target_name, error.target_type) == ("Guest2", "String")
    assert error.message == "ObjectNotFound: (Guest2:String) [Get-LocalUser], UserNotFoundException"
    exception = error.exception
    assert exception is not None
    assert exception.types[0] == "Microsoft.PowerShell.Commands.UserNotFoundException"
    assert exception.adapted_properties["Message"] == "User Guest2 was not found."


def test_terminating_error_fails_the_pipeline(pool: RunspacePool) -> None:
    """-ErrorAction Stop makes it terminating: state Failed, had_errors True, same FQEID."""
    ps = _run(pool, "Get-LocalUser", Name="Guest2", ErrorAction="Stop")
    assert ps.had_errors is True
    assert ps.state == PSInvocationState.FAILED
    (error,) = ps.streams.error
    assert error.fq_error == "UserNotFound,Microsoft.PowerShell.Commands.GetLocalUserCommand"
    assert str(error) == "User Guest2 was not found."


def test_unknown_command_is_not_recognized(pool: RunspacePool) -> None:
    """An unknown cmdlet fails with PowerShell's CommandNotFoundException record."""
    ps = _run(pool, "Get-Nothing")
    (error,) = ps.streams.error
    assert ps.had_errors is True
    assert error.fq_error == "CommandNotFoundException"
    assert error.reason == "CommandNotFoundException"


def test_secure_string_arrives_decrypted(pool: RunspacePool, backend: FakeBackend) -> None:
    """After exchange_keys an <SS> parameter reaches the backend as a contract SecureString."""
    pool.exchange_keys()
    ps = PowerShell(pool)
    ps.add_cmdlet("New-ADUser").add_parameter("Name", "svc")
    ps.add_parameter("AccountPassword", pool.serialize("N3w-S3cret!", ObjectMeta("SS")))
    ps.invoke()
    ps.invoke()  # the same bytes again: decoded afresh, never served from the pipeline cache
    assert backend.secrets == [SecureString("N3w-S3cret!")] * 2
    assert "N3w-S3cret!" not in repr(backend.invocations)
    assert not any("SecureString" in repr(cached) for cached in pipeline_cache._CACHE.values())


def test_statements_parameters_switches_and_positionals(
    pool: RunspacePool, backend: FakeBackend
) -> None:
    """add_statement, switches (None), -Confirm:$false (False) and positionals decode faithfully."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Echo-Parameters").add_parameter("Force").add_argument("pos")
    ps.add_parameter("Confirm", False).add_parameter("Count", 3).add_parameter("List", ["a", "b"])
    ps.add_statement()
    ps.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
    ps.invoke()
    first, second = backend.invocations[-1][2]
    assert first == Statement(
        (
            CommandCall(
                "Echo-Parameters",
                (
                    ("Force", None),
                    (None, "pos"),
                    ("Confirm", False),
                    ("Count", 3),
                    ("List", ["a", "b"]),
                ),
            ),
        )
    )
    assert second == Statement((CommandCall("Get-LocalUser", (("Name", "Guest"),)),))
    assert len(ps.output) == 2


def test_script_text_arrives_as_script_and_is_not_interpreted(
    pool: RunspacePool, backend: FakeBackend
) -> None:
    """add_script text reaches the backend as CommandCall(is_script=True)."""
    ps = PowerShell(pool)
    ps.add_script("Remove-Item C:\\ -Recurse")
    ps.invoke()
    (statement,) = backend.invocations[-1][2]
    assert statement.commands == (CommandCall("Remove-Item C:\\ -Recurse", (), is_script=True),)
    assert ps.had_errors is True


def test_warning_and_verbose_streams(pool: RunspacePool) -> None:
    """Warnings and verbose records reach their streams."""
    ps = _run(pool, "Write-Warning", Message="careful")
    assert [w.message for w in ps.streams.warning] == ["careful"]
    assert [v.message for v in ps.streams.verbose] == ["verbose: careful"]


def test_large_output_spans_many_fragments_and_receives(lab: LabServer, pool: RunspacePool) -> None:
    """Output larger than one envelope arrives whole, over several Receives."""
    before = lab.counters.snapshot().soap_requests("Receive")
    ps = _run(pool, "Get-Many", Count=600)
    assert len(ps.output) == 600
    assert ps.output[599] == "x" * 1000 + "599"
    assert lab.counters.snapshot().soap_requests("Receive") - before >= 2


def test_small_envelopes_get_small_fragments(lab: LabServer, client: ClientFactory) -> None:
    """With a small MaxEnvelopeSize every Receive stays within it, so output takes many Receives."""
    with RunspacePool(client(max_envelope_size=20000)) as small:
        ps = _run(small, "Get-Many", Count=60)
    assert len(ps.output) == 60
    assert lab.counters.snapshot().soap_requests("Receive") >= 1 + 60 * 1000 // 20000


def test_pool_is_alive_then_closed(lab: LabServer, client: ClientFactory) -> None:
    """is_alive() is True on an open pool; close() deletes the shell on the host."""
    pool = RunspacePool(client())
    pool.open()
    assert pool.is_alive() is True
    assert lab.counters.snapshot().open_shells == {"dc01": 1}
    pool.close()
    assert lab.counters.snapshot().open_shells == {}
    assert lab.counters.snapshot().soap_requests("Delete") == 1


def test_is_alive_is_false_for_a_shell_the_host_dropped(
    lab: LabServer, client: ClientFactory
) -> None:
    """A shell the host no longer has answers Get with fault 2150858843: is_alive() is False."""
    pool = RunspacePool(client())
    pool.open()
    client().delete(pool.shell.resource_uri, selector_set=pool.shell._selector_set)
    assert lab.counters.snapshot().open_shells == {}
    assert pool.is_alive() is False
