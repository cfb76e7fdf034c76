"""Who is running: user, machine, pid; and whether a pid on this machine still lives."""

from __future__ import annotations

import getpass
import os
import socket
import sys
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The user, machine and process that start a run or hold a lock."""

    user: str
    machine: str
    pid: int

    @classmethod
    def current(cls) -> Identity:
        """This process."""
        return cls(_user(), socket.gethostname(), os.getpid())

    def __str__(self) -> str:
        return f"{self.user}@{self.machine} (pid {self.pid})"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (containers)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def new_run_id() -> str:
    """A fresh run id: 12 hex digits, like the runner's."""
    return uuid.uuid4().hex[:12]


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine.

    A reused pid reads as alive: that errs toward refusing, and the lease still expires.
    On Windows os.kill(pid, 0) would terminate the process, so there we assume alive.
    """
    if pid <= 0:  # kill(0) or kill(-n) would signal a process group
        return False
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
