"""Start-Process and Smsman.exe (Q236052 method 1)."""

from __future__ import annotations

import threading
from datetime import timedelta

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import InvocationResult, Statement
from orchestrator.lab.domain.sms import ClientHealth

from .conftest import ADMIN, SWITCH, call, failed, ok, run

SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"
UNC = "\\\\SITE1\\SMSLOGON\\x86.bin\\00000409\\Smsman.exe"


def _invoke_in_thread(
    lab: DomainBackend, stop: threading.Event, *args: object
) -> tuple[threading.Thread, list[InvocationResult]]:
    results: list[InvocationResult] = []
    command = call("Start-Process", SMSMAN, list(args), Wait=SWITCH, PassThru=SWITCH)

    def target() -> None:
        results.append(lab.invoke("WKS0001", ADMIN, [Statement((command,))], stop))

    thread = threading.Thread(target=target)
    thread.start()
    return thread, results


def _advance_until_done(lab: DomainBackend, thread: threading.Thread) -> None:
    for _ in range(200):
        lab.advance(timedelta(seconds=1))
        thread.join(timeout=0.05)
        if not thread.is_alive():
            return
    raise AssertionError("Start-Process -Wait never returned")


def test_missing_file(tb1: DomainBackend) -> None:
    """A missing program: terminating InvalidOperationException."""
    record = failed(run(tb1, "WKS0001", call("Start-Process", "C:\\nope.exe")))
    assert record.message == (
        "This command cannot be run due to the error: The system cannot find the file specified."
    )
    assert record.fully_qualified_error_id == (
        "InvalidOperationException,Microsoft.PowerShell.Commands.StartProcessCommand"
    )
    assert record.category == "InvalidOperation"
    assert record.exception_type == "System.InvalidOperationException"


def test_unc_path_from_a_remote_session_is_denied(tb1: DomainBackend) -> None:
    """\\\\LogonPoint\\smslogon from inside WinRM: access denied (double hop)."""
    record = failed(run(tb1, "WKS0001", call("Start-Process", UNC)))
    assert record.message == "This command cannot be run due to the error: Access is denied."


def test_wait_blocks_on_the_lab_clock_and_uninstalls(tb1: DomainBackend) -> None:
    """Smsman /u /q with -Wait -PassThru returns after its run time, ExitCode 0, client gone."""
    thread, results = _invoke_in_thread(tb1, threading.Event(), "/u", "/q")
    thread.join(timeout=0.2)
    assert thread.is_alive()  # waiting for the clock, without holding the lab's lock
    assert ok(run(tb1, "CAP1", call("Get-Date")))  # another pipeline runs meanwhile
    _advance_until_done(tb1, thread)
    process = ok(results[0])[0]
    assert process.properties["ExitCode"] == 0
    assert process.properties["HasExited"] is True
    assert process.properties["ProcessName"] == "Smsman"
    status = tb1.client_status("WKS0001")
    assert status is not None
    assert status.health is ClientHealth.Uninstalled
    assert ok(
        run(tb1, "WKS0001", call("Test-Path", "HKLM:\\Software\\Microsoft\\SMS\\Client"))
    ) == [False]


def test_without_wait_the_effect_comes_when_the_process_exits(tb1: DomainBackend) -> None:
    """-PassThru without -Wait returns a running process; the uninstall happens at its exit."""
    proc = ok(run(tb1, "WKS0001", call("Start-Process", SMSMAN, ["/u /q"], PassThru=SWITCH)))[0]
    assert proc.properties["HasExited"] is False
    assert proc.properties["ExitCode"] is None
    assert tb1.client_status("WKS0001").installed  # type: ignore[union-attr]
    tb1.advance(timedelta(minutes=1))
    assert not tb1.client_status("WKS0001").installed  # type: ignore[union-attr]


def test_reinstall_refreshes_accounts_but_the_lockout_still_bites(tb1: DomainBackend) -> None:
    """A reinstalled client holds the current password, yet fails while the others keep the
    account locked out (Q227033)."""
    tb1.advance(timedelta(minutes=1))
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    ok(run(tb1, "WKS0001", call("Start-Process", SMSMAN)))
    tb1.advance(timedelta(minutes=1))
    status = tb1.client_status("WKS0001")
    assert status is not None
    assert status.health is ClientHealth.Failing
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]


def test_reinstall_refreshes_accounts_and_checks_in(tb1: DomainBackend) -> None:
    """Smsman without /u reinstalls from the logon point: current accounts, then a good check-in."""
    ok(run(tb1, "WKS0001", call("Start-Process", SMSMAN, ["/u", "/q"])))
    tb1.advance(timedelta(minutes=1))
    ok(run(tb1, "DC1", call("Unlock-ADAccount", "SMSClient_TB1")))
    ok(run(tb1, "WKS0001", call("Start-Process", SMSMAN)))
    tb1.advance(timedelta(minutes=1))
    status = tb1.client_status("WKS0001")
    assert status is not None
    assert status.installed
    assert status.health is ClientHealth.CheckedIn
    with tb1.inspect() as state:
        client = state.client("WKS0001")
        user = state.ad.store.user("SMSClient_TB1")
        assert client is not None
        assert user is not None
        assert client.known_accounts[0].password == user.password


def test_smsman_needs_logon_discovery_or_installation(tb1: DomainBackend) -> None:
    """With both logon methods disabled, Smsman exits 1 (lab-defined) and changes nothing."""
    with tb1.inspect() as state:
        assert state.site is not None
        state.site.logon_discovery = state.site.logon_installation = False
    thread, results = _invoke_in_thread(tb1, threading.Event())
    _advance_until_done(tb1, thread)
    assert ok(results[0])[0].properties["ExitCode"] == 1


def test_stop_while_waiting(tb1: DomainBackend) -> None:
    """A stop signal while -Wait waits ends the pipeline as stopped."""
    stop = threading.Event()
    thread, results = _invoke_in_thread(tb1, stop, "/u")
    thread.join(timeout=0.1)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert results[0].stopped
