"""process against the lab: Smsman.exe with -Wait -PassThru, exit codes, guards."""

from __future__ import annotations

import pytest

from orchestrator.commands import Command
from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError, StepError
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.cmdlets.script import split_command_line
from orchestrator.lab.domain.sms import ClientHealth
from orchestrator.modules.process import quote_argument

from .conftest import Host, args

SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"
CLIENT_KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"


def _health(lab: DomainBackend) -> ClientHealth:
    status = lab.client_status("WKS0001")
    assert status is not None
    return status.health


def test_uninstalling_with_a_removes_guard(lab: DomainBackend) -> None:
    """Smsman /u /q runs once (waiting for it on the lab clock); then the guard skips it."""
    host = Host(lab, "WKS0001", clocked=True)
    given = args("process", path=SMSMAN, arguments=["/u", "/q"], removes=CLIENT_KEY)
    first = host.step("process", given)
    assert first.status is Status.CHANGED
    assert first.undo is None
    assert _health(lab) is ClientHealth.Uninstalled
    assert host.mutations() == [
        (
            f"Start-Process -FilePath '{SMSMAN}' -ArgumentList '/u','/q' -Wait -PassThru"
            " -ErrorAction 'Stop'"
        )
    ]
    second = host.step("process", given)
    assert second.status is Status.OK
    assert second.diff.summary.endswith(f"{CLIENT_KEY} does not exist")


def test_reinstalling_with_a_creates_guard(lab: DomainBackend) -> None:
    """creates: an existing key skips the install; no command runs."""
    host = Host(lab, "WKS0001", clocked=True)
    outcome = host.step(
        "process", args("process", path=SMSMAN, arguments=["/q"], creates=CLIENT_KEY)
    )
    assert outcome.status is Status.OK
    assert host.mutations() == []


def test_an_unexpected_exit_code_fails_the_step(lab: DomainBackend) -> None:
    """With the logon point down Smsman exits 2 (the lab's code): a StepError saying so."""
    lab.set_host_up("SITE1", False)
    host = Host(lab, "WKS0001", clocked=True)
    with pytest.raises(StepError, match=r"Smsman.exe exited with 2; expected 0"):
        host.step("process", args("process", path=SMSMAN, arguments=["/q"]))


def test_an_expected_non_zero_exit_code_is_fine(lab: DomainBackend) -> None:
    """An exit code listed in expected_exit_codes is a success."""
    lab.set_host_up("SITE1", False)
    host = Host(lab, "WKS0001", clocked=True)
    outcome = host.step(
        "process", args("process", path=SMSMAN, arguments=["/q"], expected_exit_codes=[0, 2])
    )
    assert outcome.status is Status.CHANGED


def test_a_missing_program_fails_with_the_real_error(lab: DomainBackend) -> None:
    """A path that does not exist: InvalidOperationException from Start-Process."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "WKS0001").step("process", args("process", path="C:\\nope.exe"))
    assert info.value.fq_error_id == (
        "InvalidOperationException,Microsoft.PowerShell.Commands.StartProcessCommand"
    )


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/q", "/q"),
        ("C:\\Program Files\\x", '"C:\\Program Files\\x"'),
        ("", '""'),
        ('say "hi"', '"say \\"hi\\""'),
        ("end\\ here\\", '"end\\ here\\\\"'),
    ],
)
def test_arguments_are_quoted_as_windows_reads_them(argument: str, quoted: str) -> None:
    """Start-Process joins -ArgumentList unquoted (5.1): a spaced argument is quoted here."""
    assert quote_argument(argument) == quoted
    assert split_command_line(quoted) == [argument]  # CommandLineToArgvW reads it back


def test_a_copy_already_running_is_waited_for_never_started_twice(lab: DomainBackend) -> None:
    """Smsman /u still running (an earlier attempt whose answer was lost): the step waits for it
    with Wait-Process, reads the guard again, and starts no second Smsman."""
    host = Host(lab, "WKS0001", clocked=True)
    started = host.transport().run(
        Command.of("Start-Process", FilePath=SMSMAN, ArgumentList=["/u", "/q"], mutating=True)
    )
    assert started.ok
    given = args("process", path=SMSMAN, arguments=["/u", "/q"], removes=CLIENT_KEY)
    state = host.probe("process", given)
    assert len(state.running) == 1
    outcome = host.step("process", given)
    assert outcome.status is Status.CHANGED
    assert outcome.diff.summary.startswith(f"wait for {SMSMAN} already running")
    assert [m for m in host.mutations() if "Start-Process" in m] == [
        f"Start-Process -FilePath '{SMSMAN}' -ArgumentList '/u','/q'"
    ]
    assert _health(lab) is ClientHealth.Uninstalled
    assert host.probe("process", given).running == ()


def test_get_process_finds_only_running_programs(lab: DomainBackend) -> None:
    """Get-Process -Name lists a running Smsman and, once it exited, says no such process."""
    host = Host(lab, "WKS0001", clocked=True)
    transport = host.transport()
    transport.run(Command.of("Start-Process", FilePath=SMSMAN, ArgumentList=["/q"], mutating=True))
    running = transport.run(Command.of("Get-Process", Name="Smsman"))
    assert [p["Path"] for p in running.outputs] == [SMSMAN]
    transport.run(Command.of("Wait-Process", Id=[running.outputs[0]["Id"]]))
    gone = transport.run(Command.of("Get-Process", Name="Smsman"))
    assert gone.outputs == ()
    assert gone.error("NoProcessFoundForGivenName") is not None
