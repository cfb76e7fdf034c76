"""The bench's handle on the lab process (bench/labproc.py): start, read counters, stop."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

COMMAND = "Command"  # the WS-Management action that starts one pipeline (MS-WSMV 3.1.4.11)


@dataclass(frozen=True)
class LabSample:
    """The lab's counters at one moment."""

    monotonic: float
    cpu_s: float
    http_requests: int
    pipelines: dict[str, int]  # host -> Command requests
    actions: dict[str, int]  # WS-Management action -> requests, every host
    open_shells: int
    invoke_calls: int
    invoke_s: float  # inside the backend's invoke: waiting for its lock, or holding it
    held_s: float  # running cmdlets with the backend's lock held

    @classmethod
    def parse(cls, data: dict[str, Any]) -> LabSample:
        """From labproc's JSON line."""
        pipelines: dict[str, int] = {}
        actions: dict[str, int] = {}
        for host, action, n in data["soap"]:
            actions[action] = actions.get(action, 0) + n
            if action == COMMAND:
                pipelines[host] = pipelines.get(host, 0) + n
        return cls(
            data["monotonic"],
            data["cpu_seconds"],
            data["http_requests"],
            pipelines,
            actions,
            data["open_shells"],
            data["invoke_calls"],
            data["invoke_seconds"],
            data["held_seconds"],
        )


@dataclass(frozen=True)
class LabDelta:
    """What the lab did between two samples."""

    wall_s: float
    cpu_s: float
    http_requests: int
    pipelines: dict[str, int]
    actions: dict[str, int]  # WS-Management action -> requests; the rest carried no SOAP
    invoke_calls: int
    invoke_s: float
    held_s: float

    @classmethod
    def between(cls, before: LabSample, after: LabSample) -> LabDelta:
        """after - before."""
        hosts = set(after.pipelines)
        return cls(
            after.monotonic - before.monotonic,
            after.cpu_s - before.cpu_s,
            after.http_requests - before.http_requests,
            {h: after.pipelines[h] - before.pipelines.get(h, 0) for h in hosts},
            {a: n - before.actions.get(a, 0) for a, n in after.actions.items()},
            after.invoke_calls - before.invoke_calls,
            after.invoke_s - before.invoke_s,
            after.held_s - before.held_s,
        )

    def pipelines_on(self, hosts: list[str]) -> int:
        """Pipelines run on these hosts."""
        return sum(self.pipelines.get(h, 0) for h in hosts)


class LabProcess:
    """`python -m bench.labproc` as a child process, ready once entered."""

    def __init__(self, clients: int, workdir: Path) -> None:
        self.clients = clients
        self.workdir = workdir
        self.inventory = workdir / "inventory.yml"
        self.pid = 0
        self._child: subprocess.Popen[str] | None = None

    def __enter__(self) -> LabProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "bench.labproc", "--clients", str(self.clients)]
        self._child = subprocess.Popen(
            [*argv, "--dir", str(self.workdir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        self.pid = self._child.pid
        ready = json.loads(self._read())
        if "ready" not in ready:
            raise RuntimeError(f"the lab did not start: {ready}")
        return self

    def sample(self) -> LabSample:
        """The lab's counters now."""
        self._write("counters")
        return LabSample.parse(json.loads(self._read()))

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            self._stdin(child).write("quit\n")
            self._stdin(child).close()
        except BrokenPipeError:
            pass
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _write(self, line: str) -> None:
        assert self._child is not None
        stdin = self._stdin(self._child)
        stdin.write(line + "\n")
        stdin.flush()

    def _read(self) -> str:
        assert self._child is not None
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the lab process ended")
        return line

    @staticmethod
    def _stdin(child: subprocess.Popen[str]) -> IO[str]:
        assert child.stdin is not None
        return child.stdin
