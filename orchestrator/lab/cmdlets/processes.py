"""Start-Process, Get-Process and Wait-Process: run a program, find it running, wait for it.

`-Wait` waits (without holding the domain lock) until the program exits on the lab clock;
only `-PassThru` returns the Process and its ExitCode (Start-Process on Microsoft Learn;
-Wait also waits for its child processes, PowerShell/PowerShell#15555). A missing file is a
terminating InvalidOperationException; a UNC path from a WinRM session is refused (the second
hop). Get-Process lists only processes still running; a name or id with none is the
non-terminating NoProcessFoundForGivenName / NoProcessFoundForGivenId (ObjectNotFound).
Wait-Process -Id waits for each process to exit, at most -Timeout seconds (then the
non-terminating ProcessNotTerminated, CloseError) (Get-Process, Wait-Process on Microsoft
Learn).
"""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.cmdlets.errors import ErrorKind, PipelineStopped
from orchestrator.lab.cmdlets.objects import ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain import network, processes
from orchestrator.lab.domain.host import Process, normalize_path
from orchestrator.lab.domain.network import Access

NS = "Microsoft.PowerShell.Commands."
TYPES = (
    "System.Diagnostics.Process",
    "System.ComponentModel.Component",
    "System.MarshalByRefObject",
    "System.Object",
)


def process_object(proc: Process) -> PSObject:
    """A System.Diagnostics.Process."""
    name = _process_name(proc)
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


_WIN32_MESSAGES = {
    Access.FILE_NOT_FOUND: "The system cannot find the file specified.",
    Access.ACCESS_DENIED: "Access is denied.",
    Access.BAD_NETPATH: "The network path was not found.",
    Access.BAD_NET_NAME: "The network name cannot be found.",
    Access.NO_LOGON_SERVERS: (
        "There are currently no logon servers available to service the logon request."
    ),
}


def _check_file(inv: Invocation, path: str) -> None:
    if network.is_unc(path):
        if inv.session.remote and inv.state.fidelity.double_hop_enforced:
            _cannot_run(inv, "Access is denied.")
        access = network.computer_reads(inv.state, path)  # a local session: a task, as SYSTEM
        if not access.granted:
            _cannot_run(inv, _WIN32_MESSAGES[access])
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


PROCESS_ERROR = NS + "ProcessCommandException"


def _running(inv: Invocation) -> list[Process]:
    return [p for _, p in sorted(inv.host.processes.items()) if not p.has_exited]


def get_process(inv: Invocation) -> None:
    """Get-Process [-Name <string[]>] [-Id <int[]>]: the processes still running."""
    names = [n.lower() for n in inv.args.texts("Name")]
    ids = [int(pid) for pid in inv.args.get("Id") or ()]
    running = _running(inv)
    for name in names:
        found = [p for p in running if _process_name(p).lower() == name]
        if not found:
            message = (
                f'Cannot find a process with the name "{name}". Verify the process name and'
                " call the cmdlet again."
            )
            _not_found(inv, message, "NoProcessFoundForGivenName", name)
        for proc in found:
            inv.write(process_object(proc))
    for proc in (p for pid in ids if (p := _by_id(inv, running, pid)) is not None):
        inv.write(process_object(proc))
    if not names and not ids:
        for proc in running:
            inv.write(process_object(proc))


def _by_id(inv: Invocation, running: list[Process], pid: int) -> Process | None:
    found = next((p for p in running if p.pid == pid), None)
    if found is None:
        message = f"Cannot find a process with the process identifier {pid}."
        _not_found(inv, message, "NoProcessFoundForGivenId", str(pid))
    return found


def _not_found(inv: Invocation, message: str, error_id: str, target: str) -> None:
    inv.write_error(
        inv.record(message, ErrorKind(error_id, "ObjectNotFound", PROCESS_ERROR), target)
    )


def wait_process(inv: Invocation) -> None:
    """Wait-Process -Id <int[]> [-Timeout <seconds>]: until each has exited."""
    timeout = inv.args.get("Timeout")
    for pid in inv.args.get("Id") or ():
        proc = _by_id(inv, _running(inv), int(pid))
        if proc is None:
            continue
        until = proc.ends_at
        if timeout is not None:
            until = min(until, inv.state.now() + timedelta(seconds=int(timeout)))
        if not inv.session.can_wait:
            continue  # a task action: the lab does not block its clock thread
        if not inv.session.wait_until(until):
            raise PipelineStopped
        if not proc.has_exited:
            inv.write_error(
                inv.record(
                    f'This command stopped operation because process "{_process_name(proc)}'
                    f' ({proc.pid})" is not stopped in the specified time-out.',
                    ErrorKind("ProcessNotTerminated", "CloseError", PROCESS_ERROR),
                    str(proc.pid),
                )
            )


def _process_name(proc: Process) -> str:
    file_name = normalize_path(proc.path).rsplit("\\", 1)[-1]
    return file_name[:-4] if file_name.lower().endswith(".exe") else file_name


SPECS = (
    CmdletSpec(
        "Get-Process",
        NS + "GetProcessCommand",
        get_process,
        (
            Param("Name", Kind.STRINGS, position=0, aliases=("ProcessName",)),
            Param("Id", Kind.OBJECTS, aliases=("PID",)),
        ),
    ),
    CmdletSpec(
        "Wait-Process",
        NS + "WaitProcessCommand",
        wait_process,
        (
            Param("Id", Kind.OBJECTS, mandatory=True, aliases=("PID", "ProcessId")),
            Param("Timeout", Kind.INT, aliases=("TimeoutSec",)),
        ),
    ),
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
