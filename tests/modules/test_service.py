"""service against the lab: the SMS client service started, stopped and restarted."""

from __future__ import annotations

import pytest

from orchestrator.engine.step import Status
from orchestrator.errors import RemoteError
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.services import Service, ServiceControllerStatus, ServiceStartMode

from .conftest import Host, args, changed_then_ok, undone

NS = "Microsoft.PowerShell.Commands."


def _status(host: Host, name: str = "Clisvcl") -> str:
    state = host.probe("service", args("service", name=name, state="started"))
    return str(state.status)


def test_stopping_and_starting_are_idempotent(lab: DomainBackend) -> None:
    """Stop-Service once, then ok; Start-Service once, then ok."""
    host = Host(lab, "WKS0001")
    changed_then_ok(host, "service", args("service", name="Clisvcl", state="stopped"))
    assert _status(host) == "Stopped"
    outcome = changed_then_ok(host, "service", args("service", name="Clisvcl", state="started"))
    assert outcome.diff.summary == "start Clisvcl (now Stopped)"
    assert _status(host) == "Running"


def test_restarted_always_changes_and_undo_is_empty(lab: DomainBackend) -> None:
    """restarted sends Restart-Service each run; there is nothing to undo."""
    host = Host(lab, "WKS0001")
    given = args("service", name="Clisvcl", state="restarted")
    assert host.step("service", given).status is Status.CHANGED
    outcome = host.step("service", given)
    assert outcome.status is Status.CHANGED
    assert outcome.undo == ()
    assert [m.split()[0] for m in host.mutations()] == ["Restart-Service", "Restart-Service"]


def test_undo_of_a_stop_starts_it_again(lab: DomainBackend) -> None:
    """Undoing stopped restores Running (re-probe equals the first probe)."""
    undone(Host(lab, "WKS0001"), "service", args("service", name="Clisvcl", state="stopped"))


def test_a_missing_service_fails_in_the_probe(lab: DomainBackend) -> None:
    """An unknown service: NoServiceFoundForGivenName, made terminating by -ErrorAction Stop."""
    with pytest.raises(RemoteError) as info:
        Host(lab, "WKS0001").probe("service", args("service", name="Nope", state="started"))
    assert info.value.fq_error_id == "NoServiceFoundForGivenName," + NS + "GetServiceCommand"


def test_a_disabled_service_cannot_start(lab: DomainBackend) -> None:
    """Starting a Disabled service fails with CouldNotStartService."""
    with lab.inspect() as state:
        host_model = state.host("WKS0001")
        assert host_model is not None
        stopped, disabled = ServiceControllerStatus.Stopped, ServiceStartMode.Disabled
        host_model.add_service(Service("Spooler", "Print Spooler", stopped, disabled))
    with pytest.raises(RemoteError) as info:
        Host(lab, "WKS0001").step("service", args("service", name="Spooler", state="started"))
    assert info.value.fq_error_id == "CouldNotStartService," + NS + "StartServiceCommand"


def test_if_missing_ok_makes_a_missing_service_nothing_to_do(lab: DomainBackend) -> None:
    """if_missing: ok on a service that does not exist: ok, no command that changes anything."""
    host = Host(lab, "WKS0001")
    given = args("service", name="Nope", state="restarted", if_missing="ok")
    outcome = host.step("service", given)
    assert outcome.status is Status.OK
    assert outcome.diff.summary == "Nope does not exist: nothing to do"
    assert host.mutations() == []


def test_if_missing_ok_accepts_a_service_gone_between_probe_and_restart(
    lab: DomainBackend,
) -> None:
    """The client orphaned itself after the probe: Restart-Service finds nothing, still ok."""
    host = Host(lab, "WKS0001")
    given = args("service", name="Clisvcl", state="restarted", if_missing="ok")
    state = host.probe("service", given)
    with lab.inspect() as domain:
        model = domain.host("WKS0001")
        assert model is not None
        model.services.pop("clisvcl")
    host.apply("service", given, state)
    strict = args("service", name="Clisvcl", state="restarted")
    with pytest.raises(RemoteError):
        host.apply("service", strict, state)
