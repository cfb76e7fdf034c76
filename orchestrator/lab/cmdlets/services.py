"""Get/Start/Stop/Restart-Service (error ids and texts from PowerShell's Service.cs and
ServiceResources.resx).

A missing service is a non-terminating NoServiceFoundForGivenName; Start on a running service
and Stop on a stopped one are no-ops; a Disabled service cannot start (CouldNotStartService);
stopping a service with running dependents needs -Force. Starting Clisvcl makes the SMS client
evaluate at once (Q236052 method 2).
"""

from __future__ import annotations

from collections.abc import Iterator

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import has_wildcard, like, prop, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain import ccim
from orchestrator.lab.domain.services import (
    SMS_CLIENT_SERVICE,
    Service,
    ServiceControllerStatus,
    ServiceStartMode,
)

NS = "Microsoft.PowerShell.Commands."
TYPES = (
    "System.ServiceProcess.ServiceController",
    "System.ComponentModel.Component",
    "System.MarshalByRefObject",
    "System.Object",
)
EXCEPTION = NS + "ServiceCommandException"


def service_object(inv: Invocation, service: Service) -> PSObject:
    """A ServiceController."""
    dependents = [s.name for s in inv.host.services.values() if service.name in s.depends_on]
    props = {
        "Name": service.name,
        "DisplayName": service.display_name,
        "Status": service.status,
        "StartType": service.start_type,
        "ServiceName": service.name,
        "CanStop": service.running,
        "DependentServices": dependents,
        "ServicesDependedOn": list(service.depends_on),
        "MachineName": ".",
        "ServiceType": "Win32OwnProcess",
    }
    return ps(TYPES, props, service.name)


def _selected(inv: Invocation) -> Iterator[Service]:
    names = inv.args.texts("Name")
    if inv.args.has("InputObject"):
        piped = inv.args.get("InputObject")
        names = tuple(
            prop(i, "Name") or str(i) for i in (piped if isinstance(piped, tuple) else (piped,))
        )
    if not names:
        yield from sorted(inv.host.services.values(), key=lambda s: s.name.lower())
        return
    for name in names:
        if has_wildcard(name):
            yield from (s for s in inv.host.services.values() if like(name, s.name))
            continue
        service = inv.host.service(name)
        if service is None:
            inv.write_error(
                inv.record(
                    f"Cannot find any service with service name '{name}'.",
                    ErrorKind("NoServiceFoundForGivenName", "ObjectNotFound", EXCEPTION),
                    name,
                    "String",
                )
            )
            continue
        yield service


def get_service(inv: Invocation) -> None:
    """Get-Service [-Name <string[]>]."""
    for service in _selected(inv):
        inv.write(service_object(inv, service))


def _start(inv: Invocation, service: Service) -> None:
    if service.running:
        return
    if service.start_type is ServiceStartMode.Disabled:
        inv.write_error(
            inv.record(
                f"Service '{service.display_name} ({service.name})' cannot be started due to the "
                f"following error: Cannot start service {service.name} on computer '.'.",
                ErrorKind("CouldNotStartService", "OpenError", EXCEPTION),
                "System.ServiceProcess.ServiceController",
                "ServiceController",
            )
        )
        return
    service.status = ServiceControllerStatus.Running
    if service.name.lower() == SMS_CLIENT_SERVICE.lower():
        ccim.on_service_started(inv.state, inv.host)


def _stop(inv: Invocation, service: Service) -> bool:
    running_dependents = [
        s for s in inv.host.services.values() if service.name in s.depends_on and s.running
    ]
    if running_dependents and not inv.args.flag("Force"):
        inv.write_error(
            inv.record(
                f"Cannot stop service '{service.display_name} ({service.name})' because it has "
                "dependent services. It can only be stopped if the Force flag is set.",
                ErrorKind("ServiceHasDependentServices", "InvalidOperation", EXCEPTION),
                "System.ServiceProcess.ServiceController",
                "ServiceController",
            )
        )
        return False
    for dependent in running_dependents:
        dependent.status = ServiceControllerStatus.Stopped
    service.status = ServiceControllerStatus.Stopped
    return True


def _act(inv: Invocation, verb: str) -> None:
    for service in _selected(inv):
        target = f"{service.display_name} ({service.name})"
        if not inv.should_process(target, f"{verb}-Service"):
            continue
        if verb == "Start":
            _start(inv, service)
        elif verb == "Stop":
            _stop(inv, service)
        elif not service.running or _stop(inv, service):
            _start(inv, service)
        if inv.args.flag("PassThru"):
            inv.write(service_object(inv, service))


def start_service(inv: Invocation) -> None:
    """Start-Service: no-op when running."""
    _act(inv, "Start")


def stop_service(inv: Invocation) -> None:
    """Stop-Service: no-op when stopped."""
    _act(inv, "Stop")


def restart_service(inv: Invocation) -> None:
    """Restart-Service: stop if running, then start."""
    _act(inv, "Restart")


_NAME = Param("Name", Kind.STRINGS, position=0, aliases=("ServiceName",))
_CONTROL = (
    Param("Name", Kind.STRINGS, position=0, aliases=("ServiceName",)),
    Param("InputObject", Kind.OBJECTS, pipeline=True),
    Param("PassThru", Kind.SWITCH),
    Param("Force", Kind.SWITCH),
)
_SET = (("Name", "InputObject"),)
SPECS = (
    CmdletSpec(
        "Get-Service",
        NS + "GetServiceCommand",
        get_service,
        (_NAME, Param("InputObject", Kind.OBJECTS, pipeline=True)),
        one_of=_SET,
    ),
    CmdletSpec(
        "Start-Service",
        NS + "StartServiceCommand",
        start_service,
        _CONTROL,
        impact=Impact.MEDIUM,
        one_of=_SET,
        require_one=("InputObject", "Name"),
    ),
    CmdletSpec(
        "Stop-Service",
        NS + "StopServiceCommand",
        stop_service,
        _CONTROL,
        impact=Impact.MEDIUM,
        one_of=_SET,
        require_one=("InputObject", "Name"),
    ),
    CmdletSpec(
        "Restart-Service",
        NS + "RestartServiceCommand",
        restart_service,
        _CONTROL,
        impact=Impact.MEDIUM,
        one_of=_SET,
        require_one=("InputObject", "Name"),
    ),
)
