"""The window revert at scale: how long undoing a window took, against its revert budget.

The engine's JSON log says when the window opened (with the budget `revert_budget`, from
orchestrator/engine/window.py `revert_budget`), when it began reverting and when it closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RevertTiming:
    """One window's revert: measured and estimated."""

    hosts: int
    forks: int
    budget_s: float
    budget_explained: str
    forward_s: float  # window opened -> reverting (the steps inside the window)
    revert_s: float  # reverting -> closed (undo, verify, disarm on every host)
    complete: bool
    undone: int  # verified undo events


def _events(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def _at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00")).timestamp()


def revert_timing(log: str, hosts: int, forks: int) -> RevertTiming:
    """Read the window's timings from an engine run's JSON log lines."""
    found = {e["event"]: e for e in _events(log) if str(e.get("event", "")).startswith("window.")}
    missing = {"window.opened", "window.reverting", "window.closed"} - set(found)
    if missing:
        raise ValueError(f"the run's log has no {', '.join(sorted(missing))}")
    opened, reverting, closed = (
        found["window.opened"],
        found["window.reverting"],
        found["window.closed"],
    )
    undone = sum(
        1 for e in _events(log) if e.get("event") == "window.undo" and e.get("verified") is True
    )
    return RevertTiming(
        hosts=hosts,
        forks=forks,
        budget_s=float(opened["revert_budget"]),
        budget_explained=str(opened["budget"]),
        forward_s=_at(reverting) - _at(opened),
        revert_s=_at(closed) - _at(reverting),
        complete=bool(closed["complete"]),
        undone=undone,
    )
