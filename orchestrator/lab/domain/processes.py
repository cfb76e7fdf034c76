"""Programs that Start-Process (or a task's Exec action) can run: Smsman.exe and the rest.

Smsman.exe (KB Q236052): `/u` uninstalls the client; without it, installs or repairs from the
logon point, which refreshes the client's connection accounts. Its exit codes are not
documented publicly, so the lab defines them: 0 success, 1 logon discovery and installation
both disabled at the site, 2 no logon point reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from orchestrator.lab.domain import ccim
from orchestrator.lab.domain.host import Host, Process, normalize_path
from orchestrator.lab.domain.state import LabState

EXIT_OK = 0
EXIT_LOGON_METHODS_DISABLED = 1
EXIT_NO_LOGON_POINT = 2

Program = Callable[[LabState, Host, tuple[str, ...]], int]


def program_name(path: str) -> str:
    """The file name of a path, lower-case (e.g. smsman.exe)."""
    return normalize_path(path).rsplit("\\", 1)[-1].lower()


def run_smsman(state: LabState, host: Host, args: tuple[str, ...]) -> int:
    """Smsman.exe [/u] [/q] on `host` (KB Q236052)."""
    site = state.site
    flags = {a.lower() for arg in args for a in arg.split()}
    if "/u" in flags:
        client = state.client(host.name)
        if client is not None and client.installed:
            ccim.uninstall(state, host, client)
        return EXIT_OK
    if site is None or not (site.logon_discovery or site.logon_installation):
        return EXIT_LOGON_METHODS_DISABLED
    if not ccim.logon_point_up(state, site):
        return EXIT_NO_LOGON_POINT
    ccim.install(state, host, site)
    return EXIT_OK


def _other(_state: LabState, _host: Host, _args: tuple[str, ...]) -> int:
    return EXIT_OK


_PROGRAMS: dict[str, Program] = {"smsman.exe": run_smsman}


def duration(state: LabState, path: str) -> timedelta:
    """How long a program runs in virtual time."""
    if program_name(path) == "smsman.exe" and state.site is not None:
        return state.site.smsman_duration
    return timedelta(0)


def start(state: LabState, host: Host, path: str, args: tuple[str, ...], *, now: bool) -> Process:
    """Start a program; it exits after its duration (at once when `now`, e.g. in a task)."""
    run_for = timedelta(0) if now else duration(state, path)
    proc = Process(host.next_pid, path, args, state.host_now(host), state.now() + run_for)
    host.next_pid += 4
    host.processes[proc.pid] = proc
    if run_for == timedelta(0):
        finish(state, host, proc)
    else:
        state.clock.schedule(proc.ends_at, lambda: finish(state, host, proc), f"exit {proc.pid}")
    return proc


def finish(state: LabState, host: Host, proc: Process) -> None:
    """The program's effect happens as it exits; record the exit code and time."""
    program = _PROGRAMS.get(program_name(proc.path), _other)
    proc.exit_code = program(state, host, proc.arguments) if host.up else 1
    proc.exit_time = state.host_now(host)
