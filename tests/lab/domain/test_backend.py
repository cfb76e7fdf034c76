"""DomainBackend: hosts, faults, the state digest, threads, and the real-time ticker."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from orchestrator.lab.backend import DomainBackend, HostDownError
from orchestrator.lab.clock import Clock
from orchestrator.lab.contract import LabBackend, SecureString, Statement
from orchestrator.lab.scenarios import load_scenario
from orchestrator.lab.scenarios.build import build

from .conftest import ADMIN, call, ok, run
from .tasks import task_xml

READ_ONLY = [
    ("CAP1", call("Get-LocalUser")),
    ("CAP1", call("Get-LocalGroupMember", "Users")),
    ("DC1", call("Get-ADUser", "SMSClient_TB1", Properties="*")),
    ("DC1", call("Get-ADGroupMember", "Domain Users")),
    ("DC1", call("Get-ADDomain")),
    ("DC1", call("Search-ADAccount", LockedOut=None)),
    (
        "WKS0001",
        call("Get-ItemProperty", "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"),
    ),
    ("WKS0001", call("Test-Path", "HKLM:\\Software")),
    ("WKS0001", call("Get-Service", "Clisvcl")),
    ("CAP1", call("Get-ScheduledTask")),
    ("CAP1", call("Get-Date")),
    ("SITE1", call("Get-CMClientStatus")),
    ("SITE1", call("Get-CMClientStatusSummary")),
    ("SITE1", call("Get-CMClientConnectionAccount")),
    ("CAP1", call("Get-LocalUser", "Nobody")),
    ("DC1", call("Get-ADUser", "nobody")),
    ("CAP1", call("Enable-LocalUser", "Guest", WhatIf=None)),
]


def test_it_is_a_lab_backend(tb1: DomainBackend) -> None:
    """DomainBackend satisfies the contract's protocol, hosts in scenario order."""
    backend: LabBackend = tb1
    assert list(backend.host_names())[:4] == ["DC1", "CAP1", "SITE1", "WKS0001"]


def test_read_only_commands_leave_the_digest_unchanged(tb1: DomainBackend) -> None:
    """Every read-only command (and failed lookups, and -WhatIf) keeps state_digest the same."""
    before = tb1.state_digest()
    for host, command in READ_ONLY:
        run(tb1, host, command)
    assert tb1.state_digest() == before


def test_any_change_changes_the_digest(tb1: DomainBackend) -> None:
    """A password reset, a registry write or a clock-driven CCIM changes the digest."""
    digests = {tb1.state_digest()}
    ok(
        run(
            tb1,
            "DC1",
            call(
                "Set-ADAccountPassword",
                "labadmin",
                Reset=None,
                NewPassword=SecureString("An0ther-Pass!"),
            ),
        )
    )
    digests.add(tb1.state_digest())
    ok(run(tb1, "WKS0001", call("Set-ItemProperty", "HKLM:\\Software", "x", 1)))
    digests.add(tb1.state_digest())
    tb1.advance(timedelta(minutes=1))
    digests.add(tb1.state_digest())
    assert len(digests) == 4


def test_down_host(tb1: DomainBackend) -> None:
    """A down host reports so and refuses pipelines; an unknown host is a KeyError."""
    tb1.set_host_up("CAP1", False)
    assert not tb1.host_is_up("CAP1")
    with pytest.raises(HostDownError):
        run(tb1, "CAP1", call("Get-Date"))
    with pytest.raises(KeyError):
        tb1.host_is_up("nope")


def test_many_threads_at_once(tb1: DomainBackend) -> None:
    """Concurrent pipelines and clock advances keep the model consistent."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for _ in range(20):
                ok(run(tb1, "DC1", call("Get-ADUser", "labadmin")))
                ok(run(tb1, "CAP1", call("New-LocalUser", f"t{n}-{_}", NoPassword=None)))
        except BaseException as exc:  # noqa: BLE001 -- collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        tb1.advance(timedelta(minutes=5))
    for thread in threads:
        thread.join()
    assert errors == []
    with tb1.inspect() as state:
        sam = state.host("CAP1").sam  # type: ignore[union-attr]
        assert sam is not None
        assert len(sam.users()) == 2 + 8 * 20


def test_real_time_ticker_fires_tasks_with_nobody_connected() -> None:
    """With the ticker running, a due task fires on its own (clock source faked, no sleep)."""
    fake = [0.0]
    spec = load_scenario("tb1-lockout")
    lab = DomainBackend(build(spec, Clock(spec.start, monotonic=lambda: fake[0])))
    at = lab.now() + timedelta(minutes=10)
    ok(run(lab, "CAP1", call("Register-ScheduledTask", "T", Xml=task_xml(at, script="Get-Date"))))
    with lab:
        fake[0] = 601.0
        deadline = time.monotonic() + 5
        while lab.task_info("CAP1", "T").last_result != 0:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the ticker never ran the task"
            threading.Event().wait(0.01)


def test_statements_user_is_recorded_but_not_needed(tb1: DomainBackend) -> None:
    """invoke takes the user of the session; any authenticated user may run cmdlets."""
    result = tb1.invoke("DC1", ADMIN, [Statement((call("Get-ADDomain"),))], threading.Event())
    assert len(ok(result)) == 1


def test_start_process_wait_returns_the_program_exited_even_when_time_jumps() -> None:
    """Start-Process -Wait -PassThru returns Smsman with its exit code, even on a machine so
    loaded that the clock moves between two reads (it once returned it still running)."""
    ticks = [0.0]

    def jumpy() -> float:
        ticks[0] += 0.7  # every read of the clock finds it further on
        return ticks[0]

    spec = load_scenario("tb1-lockout")
    lab = DomainBackend(build(spec, Clock(spec.start, monotonic=jumpy)))
    smsman = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"
    started = call("Start-Process", smsman, ArgumentList=["/u", "/q"], Wait=None, PassThru=None)
    (process,) = ok(run(lab, "WKS0001", started))
    assert process.properties["ExitCode"] == 0
    assert process.properties["HasExited"] is True
