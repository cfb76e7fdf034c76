"""Start-Process: run a program, optionally wait for it and return it.

`-Wait` waits (without holding the domain lock) until the program exits on the lab clock;
only `-PassThru` returns the Process and its ExitCode (Start-Process on Microsoft Learn;
-Wait also waits for its child processes, PowerShell/PowerShell#15555). A missing file is a
terminating InvalidOperationException; a UNC path from a WinRM session is refused (the second
hop).
"""

from __future__ import annotations

from orchestrator.lab.cmdlets.errors import ErrorKind, PipelineStopped
from orchestrator.lab.cmdlets.objects import ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain import processes
from orchestrator.lab.domain.host import Host, Process, normalize_path

NS = "Microsoft.PowerShell.Commands."
TYPES = (
    "System.Diagnostics.Process",
    "System.ComponentModel.Component",
    "System.MarshalByRefObject",
    "System.Object",
)


def process_object(proc: Process) -> PSObject:
    """A System.Diagnostics.Process."""
    file_name = normalize_path(proc.path).rsplit("\\", 1)[-1]
    name = file_name[:-4] if file_name.lower().endswith(".exe") else file_name
    props = {
        "Id": proc.pid,
        "ProcessName": name,
        "Path": proc.path,
        "HasExited": proc.has_exited,
        "ExitCode": proc.exit_code,
        "StartTime": proc.start_time,
        "ExitTime": proc.exit_time,
    }
    return ps(TYPES, props, f"System.Diagnostics.Process ({name})")


def _cannot_run(inv: Invocation, reason: str) -> None:
    inv.fail(
        inv.record(
            f"This command cannot be run due to the error: {reason}",
            ErrorKind(
                "InvalidOperationException", "InvalidOperation", "System.InvalidOperationException"
            ),
        )
    )


def _unc_host(inv: Invocation, path: str) -> Host | None:
    """The server holding a UNC path's file, if reachable from here."""
    parts = normalize_path(path).lstrip("\\").split("\\", 2)
    if len(parts) < 3:
        return None
    server = inv.state.host(parts[0])
    share = server.shares.get(parts[1].lower()) if server else None
    if server is None or share is None or not server.up:
        return None
    return server if server.has_file(share.path + "\\" + parts[2]) else None


def _check_file(inv: Invocation, path: str) -> None:
    if path.startswith(("\\\\", "//")):
        if inv.session.remote and inv.state.fidelity.double_hop_enforced:
            _cannot_run(inv, "Access is denied.")
        if _unc_host(inv, path) is None:
            _cannot_run(inv, "The system cannot find the file specified.")
    elif not inv.host.has_file(path):
        _cannot_run(inv, "The system cannot find the file specified.")


def start_process(inv: Invocation) -> None:
    """Start-Process -FilePath [-ArgumentList] [-Wait] [-PassThru]."""
    path = inv.args.text("FilePath")
    _check_file(inv, path)
    if not inv.should_process(path, "Start-Process"):
        return
    wait = inv.args.flag("Wait")
    immediate = wait and not inv.session.can_wait
    proc = processes.start(inv.state, inv.host, path, inv.args.texts("ArgumentList"), now=immediate)
    if wait and not proc.has_exited and not inv.session.wait_until(proc.ends_at):
        raise PipelineStopped
    if inv.args.flag("PassThru"):
        inv.write(process_object(proc))


SPECS = (
    CmdletSpec(
        "Start-Process",
        NS + "StartProcessCommand",
        start_process,
        (
            Param("FilePath", mandatory=True, position=0, aliases=("PSPath", "Path")),
            Param("ArgumentList", Kind.STRINGS, position=1, aliases=("Args",)),
            Param("Wait", Kind.SWITCH),
            Param("PassThru", Kind.SWITCH),
            Param("NoNewWindow", Kind.SWITCH),
            Param("WorkingDirectory"),
            Param("WindowStyle"),
        ),
        impact=Impact.MEDIUM,
    ),
)
