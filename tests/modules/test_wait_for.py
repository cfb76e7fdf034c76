"""wait_for against the lab: polls on the lab clock, progress values, timeouts, every probe."""

from __future__ import annotations

import pytest

from orchestrator.commands import Command
from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError, StepError
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import StepContext
from orchestrator.modules.wait_for import WaitFor
from orchestrator.secrets import Secret
from orchestrator.templating import Templar

from .conftest import Host, args

CANARY = "Canary-Wait-7731!"
SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"


def _ctx(lab: DomainBackend, host: str = "SITE1", **variables: object) -> StepContext:
    """A context whose monotonic clock is the lab's (the injected sleep advances it)."""
    return StepContext(host, variables, Templar().evaluate, lambda: lab.now().timestamp())


def _sms_wait(until: str, interval: str = "2s", timeout: str = "1m", **probe: object) -> ArgsModel:
    return args(
        "wait_for",
        probe={"sms_client_status": {"site_code": "TB1", **probe}},
        until=until,
        interval=interval,
        timeout=timeout,
    )


def test_a_condition_that_holds_needs_no_wait(healthy: DomainBackend) -> None:
    """Every client of a healthy site is checked in: no change, no wait, nothing mutating."""
    host = Host(healthy, "SITE1")
    outcome = host.step("wait_for", _sms_wait("checked_in_ratio >= 1.0"), _ctx(healthy))
    assert outcome.status is Status.OK
    assert outcome.diff.before["checked_in"] == outcome.diff.before["total"] == 5
    assert host.sleeps == []
    assert host.mutations() == []


def test_polls_until_the_client_has_uninstalled(lab: DomainBackend) -> None:
    """While Smsman /u runs, the wait polls every interval and reports each poll's values."""
    client = Host(lab, "WKS0001").transport()
    assert client.run(
        Command.of("Start-Process", FilePath=SMSMAN, ArgumentList=["/u", "/q"], mutating=True)
    ).ok
    host = Host(lab, "SITE1")
    given = _sms_wait("uninstalled_ratio >= 1.0", clients=["WKS0001"])
    outcome = host.step("wait_for", given, _ctx(lab))
    assert outcome.status is Status.OK  # it waited, and changed nothing
    assert outcome.diff.summary == (
        "wait until uninstalled_ratio >= 1.0 (probed: uninstalled_ratio = 0.0; at most 1m)"
    )
    assert outcome.undo == ()
    assert host.sleeps == [2.0, 2.0, 2.0]  # Smsman runs 5 s on the lab clock
    assert [p.values["uninstalled"] for p in host.progress] == [0, 0, 0, 1]
    assert host.progress[-1].message == "0/1 clients checked in; waiting for WKS0001"


def test_times_out_on_the_monotonic_clock(lab: DomainBackend) -> None:
    """Clients that stay locked out: StepError at the timeout, after polling every interval."""
    host = Host(lab, "SITE1")
    given = _sms_wait("checked_in_ratio >= 0.98", interval="60s", timeout="5m")
    with pytest.raises(
        StepError, match=r"timed out after 5m waiting until checked_in_ratio >= 0\.98"
    ):
        host.step("wait_for", given, _ctx(lab))
    assert host.sleeps == [60.0] * 5
    assert len(host.progress) == 6


def test_the_summary_shows_the_values_the_names_are_bound_to(lab: DomainBackend) -> None:
    """`until: aware_ratio >= wanted` reads `aware_ratio >= 0.98`, with the probed value."""
    given = _sms_wait("aware_ratio >= wanted", account="CONTOSO\\SMSClient2_TB1")
    host = Host(lab, "SITE1")
    state = host.probe("wait_for", given, _ctx(lab, wanted=0.98))
    diff = WaitFor().diff(given, state)  # type: ignore[arg-type]
    assert diff.summary == (
        "wait until aware_ratio >= 0.98 (probed: aware_ratio = 0.0; at most 1m)"
    )
    assert diff.after == {"until": "aware_ratio >= 0.98"}


def test_a_name_bound_to_a_secret_is_never_substituted(lab: DomainBackend) -> None:
    """A secret canary bound to a name in `until` stays that name in every summary."""
    given = _sms_wait("aware_ratio >= wanted and token != none", timeout="2s", interval="1s")
    host = Host(lab, "SITE1")
    ctx = _ctx(lab, wanted=0.5, token=Secret(CANARY, "token"))
    state = host.probe("wait_for", given, ctx)
    diff = WaitFor().diff(given, state)  # type: ignore[arg-type]
    assert diff.summary.startswith("wait until aware_ratio >= 0.5 and token != none (")
    with pytest.raises(StepError) as timed_out:
        host.step("wait_for", given, ctx)
    for text in (diff.summary, repr(diff.after), str(timed_out.value)):
        assert CANARY not in text
        assert "token != none" in text


def test_until_reads_playbook_variables(healthy: DomainBackend) -> None:
    """`until` sees the step's variables beside the probe's values."""
    given = _sms_wait("aware_ratio >= wanted", account="CONTOSO\\SMSClient2_TB1")
    state = Host(healthy, "SITE1").probe("wait_for", given, _ctx(healthy, wanted=1.0))
    assert state.holds
    assert state.values["aware"] == 5


def test_an_undefined_name_in_until_says_what_the_probe_gives(healthy: DomainBackend) -> None:
    """A typo in `until` is a StepError listing the probe's value names."""
    with pytest.raises(StepError, match="the probe gives: total, checked_in"):
        Host(healthy, "SITE1").probe("wait_for", _sms_wait("checked_ratio > 0"), _ctx(healthy))


def test_an_unknown_site_fails_with_the_sites_error(lab: DomainBackend) -> None:
    """A site code the provider does not know: SiteNotFound from Get-CMClientStatus."""
    given = args(
        "wait_for",
        probe={"sms_client_status": {"site_code": "XX9"}},
        until="total > 0",
        timeout="1m",
    )
    with pytest.raises(RemoteError) as info:
        Host(lab, "SITE1").probe("wait_for", given, _ctx(lab))
    assert info.value.fq_error_id.startswith("SiteNotFound,")


def test_a_client_the_site_does_not_know_is_counted_missing(lab: DomainBackend) -> None:
    """ClientNotFound is no failure: the client counts in total and in `missing`."""
    given = _sms_wait("checked_in_ratio >= 1.0", clients=["WKS0001", "WKS9999"])
    state = Host(lab, "SITE1").probe("wait_for", given, _ctx(lab))
    assert (state.values["total"], state.values["missing"]) == (2, 1)


@pytest.mark.parametrize(
    ("host", "probe", "until"),
    [
        ("WKS0001", {"service": {"name": "Clisvcl"}}, "status == 'Running'"),
        (
            "WKS0001",
            {
                "registry": {
                    "path": "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1",
                    "name": "Site Config Last Checked",
                }
            },
            "exists and value == '2000/01/01 15:00.00'",
        ),
        (
            "DC1",
            {"ad_user": {"name": "SMSClient_TB1"}},
            "exists and not locked_out and bad_logon_count == 0",
        ),
        ("DC1", {"ad_user": {"sid": "S-1-5-21-*-501"}}, "exists and not enabled"),
        ("CAP1", {"local_user": {"sid": "S-1-5-21-*-501"}}, "exists and not enabled"),
        ("CAP1", {"local_user": {"name": "nobody"}}, "not exists"),
    ],
)
def test_every_probe_reads_its_values(
    lab: DomainBackend, host: str, probe: dict[str, object], until: str
) -> None:
    """Each probe gives the values its docstring lists, read-only."""
    given = args("wait_for", probe=probe, until=until, timeout="1m")
    state = Host(lab, host).probe("wait_for", given, _ctx(lab, host))
    assert state.holds, state.values


def test_a_wait_is_read_only() -> None:
    """wait_for is marked read-only, so plan mode may skip the waiting."""
    assert WaitFor.read_only is True


def test_a_wait_counts_only_the_clients_still_in_the_run(lab: DomainBackend) -> None:
    """Clients that left the run are not waited for; the ones still missing are named."""
    host = Host(lab, "SITE1")
    clients = ["WKS0001", "WKS0002", "WKS0003"]
    given = _sms_wait("checked_in_ratio >= 1.0", clients=clients)
    ctx = StepContext(
        "SITE1",
        {},
        Templar().evaluate,
        lambda: lab.now().timestamp(),
        left_run=lambda: frozenset({"wks0002", "WKS0003"}),
    )
    state = host.probe("wait_for", given, ctx)
    assert state.values["total"] == 1
    assert state.values["stragglers"] == ["WKS0001"]
    everyone = host.probe("wait_for", given, _ctx(lab))
    assert everyone.values["total"] == 3
    assert everyone.values["stragglers"] == clients
