"""The in-process lab, reached through pypsrp over a real socket, with the clock in the test's hands."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from orchestrator.lab.harness import RunningLab

from ..conftest import LabFactory


def _pool(lab: RunningLab, host: str) -> RunspacePool:
    endpoint = lab.endpoints()[host]
    user, password = lab.operator()
    # pypsrp annotates cert_validation as bool, but takes a CA bundle path as well
    validation: Any = str(lab.server.ca_path) if lab.server.ca_path else False
    wsman = WSMan(
        endpoint.address,
        port=endpoint.port,
        path=endpoint.wsman_path,
        ssl=endpoint.scheme == "https",
        auth="ntlm",
        username=user,
        password=password,
        cert_validation=validation,
        no_proxy=True,
        reconnection_retries=0,
        operation_timeout=5,
        read_timeout=10,
    )
    return RunspacePool(wsman)


def _run(pool: RunspacePool, cmdlet: str, **params: Any) -> list[Any]:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    output = ps.invoke()
    assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert not ps.streams.error, [e.fq_error for e in ps.streams.error]
    return list(output)


def _failsafe_xml(start: str, end: str, sid: str) -> str:
    command = f"Disable-LocalUser -SID '{sid}'"
    arguments = escape(f'-NoProfile -NonInteractive -Command "{command}"')
    return (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">'
        f"<Triggers><TimeTrigger><StartBoundary>{start}</StartBoundary>"
        f"<EndBoundary>{end}</EndBoundary><Enabled>true</Enabled></TimeTrigger></Triggers>"
        "<Principals><Principal><UserId>S-1-5-18</UserId></Principal></Principals>"
        "<Settings><StartWhenAvailable>true</StartWhenAvailable></Settings>"
        "<Actions><Exec><Command>powershell.exe</Command>"
        f"<Arguments>{arguments}</Arguments>"
        "</Exec></Actions></Task>"
    )


@pytest.mark.e2e
def test_a_failsafe_task_fires_with_no_client_connected(domain_lab: RunningLab) -> None:
    """A task registered over pypsrp disables Guest at its StartBoundary, after the client left."""
    with _pool(domain_lab, "CAP1") as pool:
        sid = next(
            str(u.adapted_properties["SID"])
            for u in _run(pool, "Get-LocalUser")
            if str(u.adapted_properties["SID"]).endswith("-501")
        )
        _run(pool, "Enable-LocalUser", SID=sid)
        # pypsrp 0.9.1 gives <DT> values as their ISO text, as it does with real Windows
        now = datetime.fromisoformat(str(_run(pool, "Get-Date")[0]))
        start = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
        end = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
        _run(
            pool, "Register-ScheduledTask", TaskName="failsafe", Xml=_failsafe_xml(start, end, sid)
        )
    assert domain_lab.backend.local_account("CAP1", sid).enabled is True  # type: ignore[union-attr]
    domain_lab.backend.advance(timedelta(minutes=6))  # nobody is connected now
    with _pool(domain_lab, "CAP1") as pool:
        guest = _run(pool, "Get-LocalUser", SID=sid)[0]
        info = _run(pool, "Get-ScheduledTaskInfo", TaskName="failsafe")[0]
    assert guest.adapted_properties["Enabled"] is False
    assert info.adapted_properties["LastTaskResult"] == 0


@pytest.mark.e2e
def test_tls_lab_validates_against_its_ca(lab_factory: LabFactory) -> None:
    """Over HTTPS, pypsrp validates the lab's certificate against the CA the lab wrote."""
    lab = lab_factory(scenario="healthy", clients=5, tls=True, manual_clock=True)
    with _pool(lab, "DC1") as pool:
        (domain,) = _run(pool, "Get-ADDomain")
    assert str(domain.adapted_properties["NetBIOSName"]) == "CONTOSO"
