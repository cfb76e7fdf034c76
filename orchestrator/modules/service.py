"""service: a Windows service started, stopped or restarted (e.g. the SMS client, Clisvcl).

Start-Service on a running service and Stop-Service on a stopped one are no-ops, Restart stops
a running service then starts it (Restart-Service on Microsoft Learn); a missing service is
NoServiceFoundForGivenName, a Disabled one CouldNotStartService (error ids from PowerShell's
Service.cs). Stop-Service is sent without -Force: a service with running dependents fails with
ServiceHasDependentServices instead of silently stopping them too. Restarting in Q236052
method 2 is what makes the client evaluate its "Site Config Last Checked" age.

`if_missing: ok` is for a service that may legitimately vanish: an SMS client whose backdated
value it read on its own retry cycle has already uninstalled itself (and its service) before
the restart reaches it, which is the very outcome the restart was for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from orchestrator.commands import Command
from orchestrator.modules.base import ArgsModel, ModuleSpec
from orchestrator.modules.logic import STOP, change, first, read, run
from orchestrator.modules.probes import NO_SUCH_SERVICE
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext

RUNNING = "Running"
STOPPED = "Stopped"
ABSENT = "Absent"  # not a ServiceControllerStatus: the service does not exist (if_missing: ok)
_WANTED = {"started": RUNNING, "stopped": STOPPED}
_VERB = {"started": "Start-Service", "stopped": "Stop-Service", "restarted": "Restart-Service"}
_RESTORE = {RUNNING: "Start-Service", STOPPED: "Stop-Service"}


class Args(ArgsModel):
    """Arguments of service."""

    name: str = Field(min_length=1, description="service name, e.g. Clisvcl")
    state: Literal["started", "stopped", "restarted"]
    if_missing: Literal["fail", "ok"] = Field(
        "fail",
        description="a service that does not exist: fail the step (default), or ok with nothing"
        " to do (a client that uninstalled itself has no service left to restart)",
    )


@dataclass(frozen=True)
class ServiceState:
    """What Get-Service said (Status and StartType as their enum names)."""

    name: str
    status: str
    start_type: str

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        return {"name": self.name, "status": self.status, "start_type": self.start_type}


def get_service(name: str, *, missing_ok: bool = False) -> Logic[ServiceState]:
    """Get-Service -Name -ErrorAction Stop: a missing service fails the step unless missing_ok."""
    allow = {NO_SUCH_SERVICE} if missing_ok else set()
    result = yield from run(read("Get-Service", Name=name, ErrorAction=STOP), allow=allow)
    found = first(result)
    if found is None and missing_ok:
        return ServiceState(name, ABSENT, ABSENT)
    found = found or {}
    return ServiceState(
        str(found.get("Name", name)), str(found.get("Status")), str(found.get("StartType"))
    )


class Service(ModuleTraits):
    """The service module."""

    name = "service"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[ServiceState]:
        """Get-Service."""
        return (yield from get_service(args.name, missing_ok=args.if_missing == "ok"))

    def diff(self, args: Args, state: ServiceState) -> Diff:
        """started/stopped compare Status; restarted always changes; absent never (if_missing)."""
        if state.status == ABSENT:
            return Diff(DiffKind.NONE, f"{state.name} does not exist: nothing to do", state.facts())
        wanted = _WANTED.get(args.state)
        if wanted == state.status:
            return Diff(DiffKind.NONE, f"{state.name} is {wanted.lower()}", state.facts())
        after = {**state.facts(), "status": wanted or RUNNING}
        verb = _VERB[args.state].split("-")[0].lower()  # start, stop, restart
        summary = f"{verb} {state.name} (now {state.status})"
        return Diff(DiffKind.CHANGE, summary, state.facts(), after)

    def apply(self, args: Args, _state: ServiceState, _ctx: StepContext) -> Logic[None]:
        """Start-, Stop- or Restart-Service (gone meanwhile is fine with if_missing: ok)."""
        allow = {NO_SUCH_SERVICE} if args.if_missing == "ok" else set()
        yield from run(change(_VERB[args.state], Name=args.name), allow=allow)

    def undo(self, args: Args, state: ServiceState) -> tuple[Command, ...] | None:
        """Back to Running or Stopped; a restart leaves nothing to restore."""
        if args.state == "restarted":
            return ()
        verb = _RESTORE.get(state.status)
        if verb is None:
            return None  # e.g. Paused: no cmdlet here restores it
        return (change(verb, Name=args.name),)


SPEC = ModuleSpec(
    "service",
    Args,
    "a service started, stopped or restarted",
    implementation=Service(),
)
