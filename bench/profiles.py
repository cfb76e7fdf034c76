"""Summarise a py-spy raw profile: which library each process spends its CPU in.

    py-spy record --gil --subprocesses -r 100 -f raw -o engine.raw -- python -m orchestrator run ...
    python -m bench.profiles engine.raw

With `--gil` a sample is the thread holding a process's GIL at that moment, so samples are
CPU spent in Python (threads waiting for the GIL or for a socket are not counted). Each
sample goes to its process's role (the engine's coordinator, a worker process, the lab) and
counts once for every library in its stack: pypsrp's share includes the requests, urllib3,
ElementTree and pyspnego calls it makes, whose own lines say how much of it they are.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# (role, marker in the process's command line): the first that matches wins
ROLES = (
    ("worker", "orchestrator.transport.worker"),
    ("lab", "bench.labproc"),
    ("lab", "lab serve"),
)
# (library, marker in a frame's file name, as py-spy shortens it: "pypsrp/wsman.py")
LIBRARIES = (
    ("pypsrp", "pypsrp/"),
    ("requests", "requests/"),
    ("urllib3", "urllib3/"),
    ("ElementTree (stdlib XML)", "xml/etree/"),
    ("pyspnego (NTLM)", "spnego/"),
    ("psrpcore", "psrpcore/"),
    ("structlog", "structlog/"),
    ("orchestrator", "orchestrator/"),
)
_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_PROCESS = re.compile(r'process \d+:"[^"]*";?')
_FILE = re.compile(r"\((?P<file>[^():]*)(?::\d+)?\)")


def role(stack: str) -> str:
    """The role of the process a sample is from. A stack starts with its process and, with
    --subprocesses, that process's parents, outermost first: the innermost that has a role
    decides (a worker forked by the forkserver shows the forkserver's command line)."""
    processes: list[str] = []
    at = 0
    while frame := _PROCESS.match(stack, at):  # a command line may hold ';': not split
        processes.append(frame.group())
        at = frame.end()
    for process in reversed(processes):
        name = next((name for name, marker in ROLES if marker in process), None)
        if name is not None:
            return name
    return "main"


def libraries(stack: str) -> set[str]:
    """The libraries with at least one frame in the stack."""
    files = [m["file"] for m in _FILE.finditer(stack)]
    return {name for name, marker in LIBRARIES if any(marker in f for f in files)}


def summarise(raw: str) -> dict[str, tuple[int, Counter[str]]]:
    """{role: (samples, samples with each library in their stack)}."""
    found: dict[str, tuple[int, Counter[str]]] = {}
    for line in raw.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        count, stack = int(match["count"]), match["stack"]
        samples, per_library = found.get(role(stack), (0, Counter()))
        for name in libraries(stack):
            per_library[name] += count
        found[role(stack)] = (samples + count, per_library)
    return found


def main() -> None:
    """Print each role's samples and each library's share of them."""
    found = summarise(Path(sys.argv[1]).read_text())
    for name, (samples, per_library) in sorted(found.items(), key=lambda kv: -kv[1][0]):
        print(f"{name}: {samples} samples")
        for library, count in per_library.most_common():
            print(f"  {100 * count / max(samples, 1):5.1f}%  {library}")


if __name__ == "__main__":
    main()
