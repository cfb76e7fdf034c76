"""Script text through unmodified pypsrp (`add_script`, NTLM with message encryption) to the
lab over a real socket: what Ansible's `raw` over psrp and other add_script tools send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.host import PSHost, PSHostUserInterface
from pypsrp.powershell import PowerShell, RunspacePool

from orchestrator.lab.harness import LabOptions, RunningLab

from .conftest import connect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab() -> Iterator[RunningLab]:
    """The healthy scenario with two clients."""
    with RunningLab(LabOptions(scenario="healthy", clients=2)) as running:
        yield running


def _pool(lab: RunningLab, host: PSHost | None = None) -> RunspacePool:
    wsman = connect(lab.server, "WKS0001", auth="ntlm", credentials=lab.operator())
    return RunspacePool(wsman, host=host)


def test_statements_run_in_order_and_objects_arrive(lab: RunningLab) -> None:
    """Two statements and a pipe: each statement's output, in order, no error."""
    with _pool(lab) as pool:
        ps = PowerShell(pool)
        ps.add_script("Get-Service -Name Clisvcl\nGet-LocalUser -Name Guest | Get-LocalUser")
        output = ps.invoke()
    assert not ps.had_errors
    assert ps.streams.error == []
    assert [o.adapted_properties["Name"] for o in output] == ["Clisvcl", "Guest"]


def test_a_failing_statement_is_an_error_record_and_the_script_goes_on(lab: RunningLab) -> None:
    """An unknown command is written to the error stream; the next statement still runs and the
    pipeline completes (had_errors stays False, as with a script on Windows)."""
    with _pool(lab) as pool:
        ps = PowerShell(pool)
        ps.add_script("Get-Thing -Name x; Get-LocalUser Guest")
        output = ps.invoke()
    assert [o.adapted_properties["Name"] for o in output] == ["Guest"]
    (error,) = ps.streams.error
    assert error.fq_error == "CommandNotFoundException"
    assert not ps.had_errors


def test_exit_reaches_the_clients_host_as_set_should_exit(lab: RunningLab) -> None:
    """`exit 3` calls the client host's SetShouldExit(3), where Ansible's psrp connection reads
    a raw command's rc; the pipeline completes."""
    host = PSHost(None, None, False, "test host", None, PSHostUserInterface(), "1.0")
    with _pool(lab, host) as pool:
        ps = PowerShell(pool)
        ps.add_script("Get-Date\nexit 3\nGet-Date")
        output = ps.invoke()
        assert host.rc == 3
        assert len(output) == 1
        assert not ps.had_errors
        host.rc = 0
        ps = PowerShell(pool)
        ps.add_script("Get-LocalUser Guest\nexit $LASTEXITCODE")
        ps.invoke()
    assert host.rc == 0
    assert not ps.had_errors


def test_unsupported_text_fails_the_pipeline_naming_the_construct(lab: RunningLab) -> None:
    """A variable: the pipeline fails (had_errors) with a ParseException naming it."""
    with _pool(lab) as pool:
        ps = PowerShell(pool)
        ps.add_script("$users = Get-LocalUser")
        ps.invoke()
    assert ps.had_errors
    (error,) = ps.streams.error
    assert error.fq_error == "ScriptsNotAllowed"
    assert "The lab does not support variables in script text" in str(error)
