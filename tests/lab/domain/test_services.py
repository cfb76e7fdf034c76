"""Get/Start/Stop/Restart-Service."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.services import ServiceControllerStatus, ServiceStartMode

from .conftest import call, ok, only_error, run

NS = "Microsoft.PowerShell.Commands."


def test_get_service(tb1: DomainBackend) -> None:
    """Get-Service returns a ServiceController with the .NET Status enum."""
    service = ok(run(tb1, "WKS0001", call("Get-Service", "Clisvcl")))[0]
    assert service.type_names[0] == "System.ServiceProcess.ServiceController"
    assert service.properties["Status"] is ServiceControllerStatus.Running
    assert service.properties["Status"].value == 4


def test_missing_service(tb1: DomainBackend) -> None:
    """A missing service: NoServiceFoundForGivenName, non-terminating (PowerShell's Service.cs)."""
    record = only_error(run(tb1, "WKS0001", call("Stop-Service", "Nope")))
    assert record.message == "Cannot find any service with service name 'Nope'."
    assert (
        record.fully_qualified_error_id == "NoServiceFoundForGivenName," + NS + "StopServiceCommand"
    )
    assert record.exception_type == NS + "ServiceCommandException"


def test_start_and_stop_are_idempotent(tb1: DomainBackend) -> None:
    """Stop on a stopped service and Start on a running one do nothing."""
    ok(run(tb1, "WKS0001", call("Stop-Service", "Clisvcl")))
    ok(run(tb1, "WKS0001", call("Stop-Service", "Clisvcl")))
    status = ok(run(tb1, "WKS0001", call("Get-Service", "Clisvcl")))[0].properties["Status"]
    assert status is ServiceControllerStatus.Stopped
    ok(run(tb1, "WKS0001", call("Start-Service", "Clisvcl")))
    ok(run(tb1, "WKS0001", call("Start-Service", "Clisvcl")))


def test_disabled_service_cannot_start(tb1: DomainBackend) -> None:
    """Starting a Disabled service: CouldNotStartService (OpenError)."""
    with tb1.inspect() as state:
        host = state.host("WKS0001")
        assert host is not None
        service = host.service("Clisvcl")
        assert service is not None
        service.start_type = ServiceStartMode.Disabled
    ok(run(tb1, "WKS0001", call("Stop-Service", "Clisvcl")))
    record = only_error(run(tb1, "WKS0001", call("Start-Service", "Clisvcl")))
    assert record.message == (
        "Service 'SMS Client Service (Clisvcl)' cannot be started due to the following error: "
        "Cannot start service Clisvcl on computer '.'."
    )
    assert record.fully_qualified_error_id == "CouldNotStartService," + NS + "StartServiceCommand"
    assert record.category == "OpenError"


def test_restarting_the_sms_client_service_evaluates_at_once(tb1: DomainBackend) -> None:
    """Restart-Service Clisvcl makes CCIM evaluate immediately, without the clock moving."""
    before = len(tb1.client_log("WKS0001"))
    ok(run(tb1, "WKS0001", call("Restart-Service", "Clisvcl")))
    assert len(tb1.client_log("WKS0001")) == before + 4
