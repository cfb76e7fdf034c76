"""What a recovery playbook reads and does over real WinRM (pypsrp, NTLM): Get-CMSite, the
Guest barriers' registry values, and the method 1 repair task, against a lab built from
LabOptions' scenario switches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from typer.testing import CliRunner

from orchestrator.errors import InputError
from orchestrator.lab import harness
from orchestrator.lab.cli import app
from orchestrator.lab.domain.sms import ClientHealth
from orchestrator.lab.harness import LabOptions, RunningLab

from .conftest import connect

WORKSTATION = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanWorkstation\\Parameters"
LSA = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
REPAIR_XML = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Principals><Principal id="Author"><UserId>S-1-5-18</UserId></Principal></Principals>
  <Settings><Enabled>true</Enabled></Settings>
  <Actions Context="Author"><Exec><Command>{command}</Command><Arguments>/q</Arguments></Exec></Actions>
</Task>"""


@pytest.fixture
def lab() -> Iterator[RunningLab]:
    """tb1-lockout, modern era, two broken clients of five, clock driven by hand."""
    options = LabOptions(era="modern", broken_clients=2, clients=5, manual_clock=True)
    with RunningLab(options) as running:
        yield running


def _invoke(lab: RunningLab, host: str, cmdlet: str, **parameters: Any) -> list[Any]:
    wsman = connect(lab.server, host, auth="ntlm", credentials=lab.operator())
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet(cmdlet)
        for name, value in parameters.items():
            ps.add_parameter(name, value)
        output: list[Any] = ps.invoke()
        assert not ps.had_errors, [str(e) for e in ps.streams.error]
    return output


def test_get_cm_site_arrives_typed(lab: RunningLab) -> None:
    """Get-CMSite's Lab.SMS.Site arrives with its booleans, a list of logon points, and the
    share and Smsman paths as strings."""
    (site,) = _invoke(lab, "SITE1", "Get-CMSite", SiteCode="TB1")
    assert site.types[0] == "Lab.SMS.Site"
    props = site.adapted_properties
    assert (props["LogonDiscovery"], props["LogonInstallation"]) == (True, True)
    assert props["LogonPoints"] == ["SITE1"]
    assert props["LogonShare"] == "\\\\SITE1\\SMSLOGON"
    assert props["SmsmanPath"] == "\\\\SITE1\\SMSLOGON\\x86.bin\\00000409\\Smsman.exe"


def test_guest_barrier_values_read_as_dwords(lab: RunningLab) -> None:
    """Get-ItemProperty returns the modern era's values as numbers: AllowInsecureGuestAuth 0
    on a client, LimitBlankPasswordUse 1 on a CAP."""
    (client,) = _invoke(lab, "WKS0001", "Get-ItemProperty", Path=WORKSTATION)
    assert client.adapted_properties["AllowInsecureGuestAuth"] == 0
    (cap,) = _invoke(lab, "CAP1", "Get-ItemProperty", Path=LSA, Name="LimitBlankPasswordUse")
    assert cap.adapted_properties["LimitBlankPasswordUse"] == 1


def test_repair_task_over_the_wire(lab: RunningLab) -> None:
    """Register-ScheduledTask -Xml, Start-ScheduledTask and Get-ScheduledTaskInfo over WinRM
    repair a broken client: LastTaskResult 0, and it checks in once unlocked."""
    backend = lab.backend
    backend.advance(timedelta(seconds=30))
    (site,) = _invoke(lab, "SITE1", "Get-CMSite")
    command = site.adapted_properties["SmsmanPath"]
    _invoke(lab, "DC1", "Unlock-ADAccount", Identity="SMSClient_TB1")
    for client in ("WKS0001", "WKS0002"):
        xml = REPAIR_XML.format(command=command)
        _invoke(lab, client, "Register-ScheduledTask", TaskName="SmsRepair", Xml=xml)
        _invoke(lab, client, "Start-ScheduledTask", TaskName="SmsRepair")
        (info,) = _invoke(lab, client, "Get-ScheduledTaskInfo", TaskName="SmsRepair")
        assert info.adapted_properties["LastTaskResult"] == 0
        assert info.adapted_properties["LastRunTime"] is not None
    backend.advance(timedelta(minutes=1))
    assert {c.health for c in backend.clients()} == {ClientHealth.CheckedIn}


def test_serve_refuses_an_unknown_era() -> None:
    """`lab serve --era` other than nt4_sms2 or modern is a usage error naming the option."""
    result = CliRunner().invoke(app, ["serve", "--era", "nt5"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "--era" in result.output
    assert "nt4_sms2 or modern" in result.output


def test_serve_refuses_a_negative_broken_clients() -> None:
    """`lab serve --broken-clients -1` is a usage error (the upper bound is the scenario's)."""
    result = CliRunner().invoke(app, ["serve", "--broken-clients", "-1"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "--broken-clients" in result.output


def test_serve_flags_reach_lab_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each scenario switch of `lab serve` lands in LabOptions; left out, each stays None."""
    seen: list[LabOptions] = []

    class Recorder:
        def __init__(self, options: LabOptions) -> None:
            seen.append(options)
            raise _StopError

    monkeypatch.setattr(harness, "RunningLab", Recorder)
    flags = [
        "--era",
        "modern",
        "--broken-clients",
        "2",
        "--no-smsman-survives-uninstall",
        "--no-logon-discovery",
        "--logon-installation",
    ]
    result = CliRunner().invoke(app, ["serve", *flags])
    assert isinstance(result.exception, _StopError)
    result = CliRunner().invoke(app, ["serve"])
    assert isinstance(result.exception, _StopError)
    switches = [
        (
            o.era,
            o.broken_clients,
            o.smsman_survives_uninstall,
            o.logon_discovery,
            o.logon_installation,
        )
        for o in seen
    ]
    assert switches == [("modern", 2, False, False, True), (None, None, None, None, None)]


def test_serve_with_more_broken_clients_than_clients_is_an_input_error() -> None:
    """`--broken-clients 6` with five clients fails before serving, naming the option."""
    result = CliRunner().invoke(app, ["serve", "--clients", "5", "--broken-clients", "6"])
    assert isinstance(result.exception, InputError)
    assert "command line --broken-clients" in str(result.exception)


class _StopError(Exception):
    """Ends `lab serve` before it serves."""
