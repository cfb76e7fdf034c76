"""What the end-to-end window tests share: the CLI in a subprocess, read event by event.

`Orchestrator` runs `python -m orchestrator ...` with JSON logs and hands the tests each event
as it comes; `Window` is a lab in the article's state with its inventory, a state directory
and a playbook to run against it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.lab.harness import RunningLab

ROOT = Path(__file__).resolve().parents[2]
GUEST_WINDOW = ROOT / "playbooks" / "guest-window.yml"

Event = dict[str, Any]


class Orchestrator:
    """`orchestrator run` in a subprocess, its JSON log lines read as they come."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.events: list[Event] = []
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._read_errors, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self._queue.put(json.loads(line))
        self._queue.put(None)

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        self._stderr.extend(self.process.stderr)

    def until(self, wanted: Callable[[Event], bool], timeout: float = 60) -> Event:
        """Block until an event matches; fail if the process ends or time runs out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if event is None:
                raise AssertionError(f"the run ended first: {self.finish()}")
            self.events.append(event)
            if wanted(event):
                return event
        raise AssertionError(f"no matching event within {timeout}s: {self.events[-5:]}")

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the exit; its code and stderr."""
        self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        err = "".join(self._stderr)
        while True:
            try:
                event = self._queue.get(timeout=1)
            except queue.Empty:
                break
            if event is None:
                break
            self.events.append(event)
        return self.process.returncode, err


@dataclass
class Window:
    """A lab in the article's state, its inventory, a state dir, and a playbook to run."""

    lab: RunningLab
    inventory: Path
    state: Path
    playbook: Path
    cwd: Path

    def run(self, *extra: str) -> Orchestrator:
        return Orchestrator(
            [
                "run",
                str(self.playbook),
                "-i",
                str(self.inventory),
                "--yes",
                "--log-format",
                "json",
                "--state-dir",
                str(self.state),
                "-e",
                "poll_interval=1s",
                *extra,
            ],
            self.cwd,
        )

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orchestrator", *args, "--state-dir", str(self.state)],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            timeout=120,
            check=False,
        )

    def guest_enabled(self) -> dict[str, bool]:
        backend = self.lab.backend
        domain = backend.ad_account("Guest")
        local = backend.local_account("CAP1", "Guest")
        assert domain is not None
        assert local is not None
        return {"DC1": domain.enabled, "CAP1": local.enabled}

    def tasks(self, run_id: str) -> dict[str, Any]:
        return {
            host: self.lab.backend.task_info(host, f"{run_id}-guest-access", "\\orchestrator\\")
            for host in ("DC1", "CAP1")
        }


def variant(tmp_path: Path, **replace: str) -> Path:
    text = GUEST_WINDOW.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "guest-window.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


NEVER = {"until: aware_ratio >= min_checked_in_ratio": "until: aware_ratio > 1"}


def run_id_of(events: list[Event]) -> str:
    return next(str(e["run"]) for e in events if "run" in e)


def finished(step: str) -> Callable[[Event], bool]:
    return lambda e: e["event"] == "host.finished" and e["step"] == step


KILL_POINTS = {
    "window opened": lambda e: e["event"] == "window.opened",
    "domain Guest enabled": finished("Enable the domain Guest for CAPs on domain controllers"),
    "domain Guest in Domain Users": finished("Put the domain Guest in Domain Users"),
    "local Guest enabled": finished("Enable the local Guest on member-server CAPs"),
    "local Guest in Users": finished("Put the local Guest in the local Users group"),
    "waiting for clients": lambda e: e["event"] == "step.started" and e["step"].startswith("Wait"),
}


def trouble(result: subprocess.CompletedProcess[str]) -> str:
    """What went wrong in a run, for an assertion's message: failures, retries, stderr."""
    kinds = ("host.retrying", "run.aborted", "credential.rejected")
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    lines = [
        json.dumps(e)
        for e in events
        if e.get("status") in ("failed", "unreachable") or e["event"] in kinds
    ]
    return "\n".join(lines[-40:]) + "\n" + result.stderr[-3000:]
