"""Get-Content, for the one file the lab has text for: a client's Ccim32.log (KB Q236052).

Other existing files read as empty; a missing file is PathNotFound (non-terminating).
"""

from __future__ import annotations

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Invocation
from orchestrator.lab.domain import ccim
from orchestrator.lab.domain.host import normalize_path

NS = "Microsoft.PowerShell.Commands."
PATH_NOT_FOUND = ErrorKind(
    "PathNotFound", "ObjectNotFound", "System.Management.Automation.ItemNotFoundException"
)


def _lines(inv: Invocation, path: str) -> list[str]:
    if normalize_path(path).lower() != ccim.log_path(inv.host).lower():
        return []
    client = inv.state.client(inv.host.name)
    return list(client.log) if client is not None else []


def get_content(inv: Invocation) -> None:
    """Get-Content -Path [-Tail N] [-TotalCount N]: one string per line."""
    for path in inv.args.texts("Path"):
        if not inv.host.has_file(path):
            message = f"Cannot find path '{path}' because it does not exist."
            inv.write_error(inv.record(message, PATH_NOT_FOUND, path, "String"))
            continue
        lines = _lines(inv, path)
        if inv.args.has("TotalCount"):
            lines = lines[: inv.args.get("TotalCount")]
        if inv.args.has("Tail"):
            tail = inv.args.get("Tail")
            lines = lines[-tail:] if tail > 0 else []
        for line in lines:
            inv.write(line)


SPECS = (
    CmdletSpec(
        "Get-Content",
        NS + "GetContentCommand",
        get_content,
        (
            Param("Path", Kind.STRINGS, mandatory=True, position=0, pipeline=True),
            Param("Tail", Kind.INT, aliases=("Last",)),
            Param("TotalCount", Kind.INT, aliases=("First", "Head")),
        ),
    ),
)
