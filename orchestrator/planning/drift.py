"""Drift: how hosts differ now from a saved plan (for `run --plan`).

Each host's fingerprint digests every stable value probed there, step by step; a host whose
fingerprint differs drifted, and each of its steps that reads differently now is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.planning.planfile import PlanFile, PlannedStep
from orchestrator.planning.planner import PlanResult, Prediction, canonical


@dataclass(frozen=True)
class Drift:
    """How one host differs from the plan: one line per step that reads differently now."""

    host: str
    lines: tuple[str, ...]


def find_drift(plan: PlanFile, now: PlanResult) -> list[Drift]:
    """Hosts whose probed state differs from the plan's, with what differs."""
    fingerprints = now.fingerprints()
    by_key = {(p.step_index, p.host): p for p in now.predictions}
    drifts = []
    for host in sorted(set(plan.hosts) | set(fingerprints)):
        if plan.hosts.get(host) == fingerprints.get(host):
            continue
        lines = [
            line
            for planned in plan.for_host(host)
            if (line := _step_drift(planned, by_key.get((planned.step_index, host))))
        ]
        if host not in plan.hosts:
            lines.append("not in the plan")
        drifts.append(Drift(host, tuple(lines) or ("its probed state changed",)))
    return drifts


def _step_drift(planned: PlannedStep, now: Prediction | None) -> str:
    if now is None:
        return f"'{planned.step}': planned, no longer targeted"
    if (planned.kind, planned.probed) == (now.kind, now.probed):
        return ""
    was = f"{planned.kind} {canonical(planned.before)}"
    is_now = f"{now.kind} {canonical(dict(now.before))}"
    return f"'{planned.step}': planned {was}, now {is_now}"
