"""The shells a host holds: what WinRS (cmd) and PowerShell (PSRP) shells share, and the registry.

The registry's lock guards only the table; a shell has its own lock, so no request ever waits
on another host's or another shell's work.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from orchestrator.lab.wsman import errors
from orchestrator.lab.wsman.soap import WSManRequest


@dataclass
class Received:
    """What one Receive returns: stream chunks, and the command's end if it has ended."""

    chunks: list[tuple[str, bytes]] = field(default_factory=list)  # (stream name, data)
    command_id: str | None = None
    ended: bool = False  # WinRS: streams carry End="true"; both: CommandState Done
    exit_code: int = 0
    end_streams: tuple[str, ...] = ()  # WinRS marks each output stream's end with End="true"
    requeue: Callable[[], None] | None = None  # puts chunks back if the reply is never delivered


class Shell(Protocol):
    """One WS-Management shell; every method may raise `WSManFault`."""

    shell_id: str
    host: str
    owner: str
    resource_uri: str
    input_streams: str
    output_streams: str
    last_used: float

    def command(self, request: WSManRequest, command_id: str) -> None:
        """Start a command (WinRS) or a pipeline (PSRP) under `command_id`."""
        ...

    def send(self, request: WSManRequest) -> None:
        """Accept input: stdin for WinRS, PSRP fragments for PowerShell."""
        ...

    def receive(self, command_id: str | None, timeout: float, budget: int) -> Received:
        """Wait up to `timeout` for output; raise the TimedOut fault if none comes."""
        ...

    def signal(self, command_id: str, code: str) -> None:
        """Terminate or interrupt a command."""
        ...

    def close(self) -> None:
        """Release everything; waiting Receives return the shell-not-found fault."""
        ...


def normalise_id(value: str | None) -> str:
    """A GUID as Windows echoes it (upper case); anything else is an invalid selector."""
    try:
        return str(uuid.UUID(value or "")).upper()
    except ValueError as exc:
        raise errors.shell_not_found() from exc


class ShellRegistry:
    """Shells by (host, ShellId), with their owners."""

    def __init__(self, idle_timeout: float, on_close: Callable[[Shell], None]) -> None:
        self._lock = threading.Lock()
        self._shells: dict[tuple[str, str], Shell] = {}
        self._idle_timeout = idle_timeout
        self._on_close = on_close
        self._last_reap = time.monotonic()

    def add(self, shell: Shell) -> None:
        """Register a shell; reap shells idle past the timeout (clients that never Delete)."""
        with self._lock:
            if (shell.host, shell.shell_id) in self._shells:
                raise errors.already_exists()
            self._shells[(shell.host, shell.shell_id)] = shell
        now = time.monotonic()
        if now - self._last_reap > 1.0:  # a scan per second at most, not per Create
            self._last_reap = now
            self._reap(now)

    def get(self, host: str, shell_id: str | None, user: str) -> Shell:
        """The shell this user opened on this host; anything else is "shell not found"."""
        if shell_id is None:
            raise errors.shell_not_found()
        with self._lock:
            shell = self._shells.get((host, shell_id))
        if shell is None or shell.owner.lower() != user.lower():
            raise errors.shell_not_found()
        shell.last_used = time.monotonic()
        return shell

    def remove(self, host: str, shell_id: str) -> None:
        """Close and forget one shell."""
        with self._lock:
            shell = self._shells.pop((host, shell_id), None)
        if shell is not None:
            self._close(shell)

    def close_all(self) -> None:
        """Close every shell (server stop)."""
        with self._lock:
            shells = list(self._shells.values())
            self._shells.clear()
        for shell in shells:
            self._close(shell)

    def __iter__(self) -> Iterator[Shell]:
        with self._lock:
            return iter(list(self._shells.values()))

    def _reap(self, now: float) -> None:
        with self._lock:
            idle = [k for k, s in self._shells.items() if now - s.last_used > self._idle_timeout]
            shells = [self._shells.pop(k) for k in idle]
        for shell in shells:
            self._close(shell)

    def _close(self, shell: Shell) -> None:
        shell.close()
        self._on_close(shell)
