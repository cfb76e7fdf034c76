"""A window journal that keeps nothing: tests, and runs without a state directory."""

# ruff: noqa: ARG002 -- implements WindowJournal and deliberately ignores what it is told

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrator.engine.window import PendingChange


class NoJournal:
    """A window journal that keeps nothing (tests, and runs without a state directory)."""

    def __init__(self) -> None:
        self._next = 0

    def open_window(self, name: str, deadline: datetime, failsafe: str) -> int:
        return self._bump()

    def record_intent(self, window_id: int, change: PendingChange, step_index: int) -> int:
        return self._bump()

    def mark_change(self, change_id: int, state: str) -> None:
        """Nothing to keep."""

    def record_failsafe(self, window_id: int, host: str, armed: Any) -> None:
        """Nothing to keep."""

    def failsafe_disarmed(self, window_id: int, host: str) -> None:
        """Nothing to keep."""

    def close_window(self, window_id: int, status: str) -> None:
        """Nothing to keep."""

    def _bump(self) -> int:
        self._next += 1
        return self._next
