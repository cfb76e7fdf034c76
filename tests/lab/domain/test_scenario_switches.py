"""The scenario switches a recovery playbook's test sets: broken clients, the era, the site's
logon methods and whether Smsman /u keeps the local Smsman.exe; in YAML, as load-time
overrides and in LabOptions, each validated."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import InputError
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.fidelity import Era
from orchestrator.lab.domain.sms import E_ACCESSDENIED, ClientHealth
from orchestrator.lab.harness import LabOptions, RunningLab
from orchestrator.lab.scenarios import Overrides, load_scenario

from .conftest import SWITCH, call, failed, hourly, ok, run

CURRENT = SecureString("Tb1-Client-2000")
OLD = SecureString("Tb1-Client-1999")
LOCAL_SMSMAN = "C:\\WINNT\\MS\\SMS\\Core\\Bin\\00000409\\Smsman.exe"


def _lab(**switches: Any) -> DomainBackend:
    """tb1-lockout with hourly retries and the given overrides, clock by hand."""
    overrides = dataclasses.replace(hourly(), **switches)
    return DomainBackend.from_scenario("tb1-lockout", overrides, manual_clock=True)


def load_text(name: str) -> str:
    """A shipped scenario's YAML text."""
    return (resources.files("orchestrator.lab.scenarios") / f"{name}.yaml").read_text("utf-8")


def _known(lab: DomainBackend, host: str) -> list[tuple[str, SecureString]]:
    with lab.inspect() as state:
        client = state.client(host)
        assert client is not None
        return [(k.name, k.password) for k in client.known_accounts]


# -- broken_clients ---------------------------------------------------------------------------


def test_broken_clients_breaks_only_the_first_n() -> None:
    """broken_clients=2: WKS0001-2 hold the old password and fail with #2147942405; the
    others hold the current one and are checked in at the start."""
    lab = _lab(broken_clients=2)
    assert _known(lab, "WKS0001") == [("CONTOSO\\SMSClient_TB1", OLD)]
    assert _known(lab, "WKS0003") == [("CONTOSO\\SMSClient_TB1", CURRENT)]
    status = {c.host: (c.health, c.last_error) for c in lab.clients()}
    assert status["WKS0002"] == (ClientHealth.Failing, E_ACCESSDENIED)
    assert {status[h] for h in ("WKS0003", "WKS0004", "WKS0005")} == {(ClientHealth.CheckedIn, 0)}


def test_healthy_clients_check_in_beside_a_broken_one() -> None:
    """broken_clients=0 makes every client healthy: each checks in and nothing locks out; with
    one broken client the others' first check-ins succeed while it fails."""
    healthy = _lab(broken_clients=0)
    healthy.advance(timedelta(hours=3))
    assert {c.health for c in healthy.clients()} == {ClientHealth.CheckedIn}
    assert not healthy.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    one = _lab(broken_clients=1)
    with one.inspect() as state:
        first_checks = sorted(
            (c.next_event.due, c.host) for c in state.clients.values() if c.next_event
        )
    one.run_until(first_checks[-1][0])  # every client's first CCIM, before any retry
    status = {c.host: c.health for c in one.clients()}
    assert status["WKS0001"] is ClientHealth.Failing
    assert {status[h] for h in status if h != "WKS0001"} == {ClientHealth.CheckedIn}


def test_healthy_clients_last_checked_recently() -> None:
    """A healthy client's "Site Config Last Checked" is within its cycle, not the scenario's
    three days of a broken one."""
    lab = _lab(broken_clients=1)
    key = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
    broken = lab.registry_value("WKS0001", key, "Site Config Last Checked")
    healthy = lab.registry_value("WKS0002", key, "Site Config Last Checked")
    assert broken is not None
    assert healthy is not None
    assert (broken.data, healthy.data) == ("2000/01/01 15:00.00", "2000/01/03 16:00.00")


def test_default_broken_clients_keeps_the_scenario(tb1: DomainBackend) -> None:
    """Without the switch every client is as the scenario says (all five failing)."""
    assert load_scenario("tb1-lockout").clients.broken_clients is None
    tb1.advance(timedelta(minutes=1))
    assert {c.health for c in tb1.clients()} == {ClientHealth.Failing}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (Overrides(broken_clients=-1), "broken_clients must be between 0 and the number"),
        (Overrides(broken_clients=6), r"between 0 and the number of clients \(5\), found 6"),
        (Overrides(clients=10, broken_clients=11), r"clients \(10\), found 11"),
    ],
)
def test_broken_clients_out_of_range_is_an_input_error(overrides: Overrides, message: str) -> None:
    """broken_clients outside 0..clients names the command-line option and the bound."""
    with pytest.raises(InputError, match=message) as error:
        load_scenario("tb1-lockout", overrides)
    assert "command line --broken-clients" in str(error.value)


def test_broken_clients_in_yaml_is_validated(tmp_path: Path) -> None:
    """In a scenario file, clients.broken_clients above clients.count is refused at its place."""
    text = load_text("tb1-lockout").replace(
        "  status: failing\n", "  status: failing\n  broken_clients: 9\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"s\.yaml:\d+:\d+: clients: broken_clients \(9\) cannot exceed the number"
        r" of clients \(5\)",
    ):
        load_scenario(str(path))
    assert load_scenario(str(path), Overrides(clients=9)).clients.broken_clients == 9


# -- the era ----------------------------------------------------------------------------------


def test_era_override_and_lab_options() -> None:
    """era=modern through Overrides and LabOptions gives the modern lockout preset; a bad era
    is an input error naming both eras."""
    assert load_scenario("tb1-lockout", Overrides(era="modern")).era == "modern"
    lab = RunningLab(LabOptions(era="modern", manual_clock=True))
    with lab.backend.inspect() as state:
        assert state.fidelity.era is Era.MODERN
        assert state.ad.lockout.threshold == 10
    with pytest.raises(InputError, match=r"unknown era 'nt5'.*nt4_sms2 or modern"):
        load_scenario("tb1-lockout", Overrides(era="nt5"))


# -- the site's logon methods -----------------------------------------------------------------


def test_logon_methods_override_and_smsman_exit_code() -> None:
    """logon_discovery / logon_installation set the site's switches (Get-CMSite shows them);
    both off, Smsman exits 1; either on, it runs."""
    off = _lab(logon_discovery=False, logon_installation=False)
    site = ok(run(off, "SITE1", call("Get-CMSite")))[0].properties
    assert (site["LogonDiscovery"], site["LogonInstallation"]) == (False, False)
    proc = ok(run(off, "WKS0001", call("Start-Process", LOCAL_SMSMAN, ["/q"], PassThru=SWITCH)))[0]
    off.advance(timedelta(minutes=1))
    with off.inspect() as state:
        host = state.host("WKS0001")
        assert host is not None
        assert host.processes[proc.properties["Id"]].exit_code == 1
    one = _lab(logon_discovery=False)
    site = ok(run(one, "SITE1", call("Get-CMSite")))[0].properties
    assert (site["LogonDiscovery"], site["LogonInstallation"]) == (False, True)
    proc = ok(run(one, "WKS0001", call("Start-Process", LOCAL_SMSMAN, ["/q"], PassThru=SWITCH)))[0]
    one.advance(timedelta(minutes=1))
    with one.inspect() as state:
        host = state.host("WKS0001")
        assert host is not None
        assert host.processes[proc.properties["Id"]].exit_code == 0


def test_logon_methods_need_a_site(tmp_path: Path) -> None:
    """Setting a logon method on a scenario without an SMS site is an input error."""
    path = tmp_path / "mini.yaml"
    path.write_text(
        'name: mini\nlocal_admin_password: "x"\n'
        'domain: {netbios: CONTOSO, dns: contoso.com, admin_password: "y"}\n'
        "hosts: [{name: DC1, roles: [domain_controller]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="command line --logon-discovery: this scenario has no"):
        load_scenario(str(path), Overrides(logon_discovery=True))


# -- smsman_survives_uninstall ----------------------------------------------------------------


def _uninstall(lab: DomainBackend) -> None:
    ok(run(lab, "WKS0001", call("Start-Process", LOCAL_SMSMAN, ["/u", "/q"])))
    lab.advance(timedelta(minutes=1))
    assert not lab.client_status("WKS0001").installed  # type: ignore[union-attr]


def test_smsman_survives_uninstall_by_default(tb1: DomainBackend) -> None:
    """By default Smsman /u leaves the local Smsman.exe, so a local reinstall can run."""
    _uninstall(tb1)
    assert ok(run(tb1, "WKS0001", call("Test-Path", LOCAL_SMSMAN))) == [True]
    ok(run(tb1, "WKS0001", call("Start-Process", LOCAL_SMSMAN, ["/q"])))
    tb1.advance(timedelta(minutes=1))
    assert tb1.client_status("WKS0001").installed  # type: ignore[union-attr]


def test_smsman_removed_on_uninstall_stops_a_local_reinstall() -> None:
    """smsman_survives_uninstall=False: /u removes the local copy too, and running it again
    fails as a missing file (the logon point's copy is the only one left)."""
    lab = _lab(smsman_survives_uninstall=False)
    _uninstall(lab)
    assert ok(run(lab, "WKS0001", call("Test-Path", LOCAL_SMSMAN))) == [False]
    record = failed(run(lab, "WKS0001", call("Start-Process", LOCAL_SMSMAN, ["/q"])))
    assert record.message.endswith("The system cannot find the file specified.")


def test_smsman_switch_in_yaml_and_lab_options() -> None:
    """The override writes the fidelity switch uninstall_keeps_local_smsman; LabOptions
    reaches it; the scenario's own value stays when it is not given."""
    scenario = load_scenario("tb1-lockout", Overrides(smsman_survives_uninstall=False))
    assert scenario.fidelity == {"uninstall_keeps_local_smsman": False}
    assert load_scenario("tb1-lockout").fidelity == {}
    lab = RunningLab(LabOptions(smsman_survives_uninstall=False, manual_clock=True))
    with lab.backend.inspect() as state:
        assert state.fidelity.uninstall_keeps_local_smsman is False


def test_lab_options_reach_every_switch() -> None:
    """LabOptions passes broken_clients and the logon methods through to the scenario."""
    options = LabOptions(
        broken_clients=3, logon_discovery=False, logon_installation=True, manual_clock=True
    )
    lab = RunningLab(options)
    assert lab.scenario.clients.broken_clients == 3
    assert lab.scenario.site is not None
    assert (lab.scenario.site.logon_discovery, lab.scenario.site.logon_installation) == (
        False,
        True,
    )
