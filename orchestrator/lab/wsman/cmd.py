"""A WinRS `cmd` shell ([MS-WSMV] 3.1.4.1.31): enough for pywinrm run_cmd and pypsrp execute_cmd.

It runs a few built-ins (hostname, whoami, echo, exit, `cmd /c ...`) and answers anything else
with cmd.exe's "not recognized" error and exit code 1. It runs no scripts and no programs.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from orchestrator.lab.wsman import errors, ns
from orchestrator.lab.wsman.shells import Received
from orchestrator.lab.wsman.soap import WSManRequest

_NOT_RECOGNIZED = (
    "'{name}' is not recognized as an internal or external command,\r\n"
    "operable program or batch file.\r\n"
)


@dataclass
class _Command:
    stdout: bytes
    stderr: bytes
    exit_code: int


@dataclass
class CmdShell:
    """One WinRS shell on one host, owned by one user."""

    shell_id: str
    host: str
    owner: str
    resource_uri: str = ns.RESOURCE_CMD
    input_streams: str = "stdin"
    output_streams: str = "stdout stderr"
    last_used: float = field(default_factory=time.monotonic)
    _commands: dict[str, _Command] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def command(self, request: WSManRequest, command_id: str) -> None:
        """Run a built-in at once; its output waits for the next Receive."""
        line = request.body
        if line is None or line.tag != ns.q(ns.SHELL, "CommandLine"):
            raise errors.invalid_body()
        name, args = _command_line(line)
        result = run_builtin(name, args, self.host, self.owner)
        with self._lock:
            self._commands[command_id] = result

    def send(self, request: WSManRequest) -> None:
        """Accept and ignore stdin: no built-in reads input."""

    def receive(self, command_id: str | None, timeout: float, budget: int) -> Received:  # noqa: ARG002 -- output is ready at once
        """Return all of a finished command's output with its exit code."""
        with self._lock:
            done = self._commands.get(command_id or "")
        if done is None:
            raise errors.command_not_found()
        chunks = [("stdout", done.stdout), ("stderr", done.stderr)]
        ends = ("stdout", "stderr")
        return Received(chunks, command_id, ended=True, exit_code=done.exit_code, end_streams=ends)

    def signal(self, command_id: str, code: str) -> None:  # noqa: ARG002 -- any code ends it
        """Terminate (or Ctrl+C) forgets the command, as WinRS does once it has ended."""
        with self._lock:
            if self._commands.pop(command_id, None) is None:
                raise errors.command_not_found()

    def close(self) -> None:
        """Forget every command."""
        with self._lock:
            self._commands.clear()


def _command_line(line: Element) -> tuple[str, list[str]]:
    command = (line.findtext(ns.q(ns.SHELL, "Command")) or "").strip().strip('"')
    args: list[str] = []
    for element in line.iter(ns.q(ns.SHELL, "Arguments")):
        args.extend((element.text or "").split())
    words = command.split()
    return (words[0] if words else ""), words[1:] + args


def run_builtin(name: str, args: list[str], host: str, user: str) -> _Command:
    """cmd.exe's answer to one command line."""
    lowered = name.lower()
    if lowered in ("cmd", "cmd.exe") and args and args[0].lower() == "/c":
        return run_builtin(args[1] if len(args) > 1 else "", args[2:], host, user)
    if lowered == "hostname":
        return _ok(host.upper())
    if lowered == "whoami":
        return _ok(user.lower() if "\\" in user else f"{host.lower()}\\{user.lower()}")
    if lowered == "echo":
        return _ok(" ".join(args) if args else "ECHO is on.")
    if lowered == "exit":
        code = args[-1] if args else "0"
        return _Command(b"", b"", int(code) if code.lstrip("-").isdigit() else 0)
    message = _NOT_RECOGNIZED.format(name=name)
    return _Command(b"", message.encode("utf-8"), 1)


def _ok(text: str) -> _Command:
    return _Command((text + "\r\n").encode("utf-8"), b"", 0)


def b64(data: bytes) -> str:
    """Base64 text for a Stream element."""
    return base64.b64encode(data).decode("ascii")
