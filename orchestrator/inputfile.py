"""Reading a file the user named: a regular file only, and never more than a cap.

Every file of user input is read here (playbooks, inventories, `-e @file`, `-l @file`, plan
files, `file:` secrets). A named pipe would block `open()` until some writer comes, for ever
on a typo; `/dev/zero` never ends; a directory or a socket is no input at all. So the path is
opened with O_NONBLOCK (a pipe opens at once instead of waiting for a writer), the opened
descriptor is checked with fstat (no race between the check and the read), and at most
cap + 1 bytes are read: a `/proc` file says size 0 and a file may grow while it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from orchestrator.errors import InputError, Location

MAX_INPUT_BYTES = 1_048_576  # a playbook, inventory, vars or limit file is a few KiB

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens without waiting for a writer
    | getattr(os, "O_NOCTTY", 0)  # opening a terminal must not make it ours
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_input_file(path: Path, *, what: str, cap: int = MAX_INPUT_BYTES, field: str = "") -> bytes:
    """The bytes of the regular file at `path`, at most `cap` of them.

    Raises FileNotFoundError unchanged (each caller says what to do about a missing file),
    and InputError naming the file for anything else: not a regular file, larger than `cap`,
    unreadable. `what` names the file's role in messages ("playbook", "limit file").
    """
    where = Location(str(path))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _unreadable(path, what, field, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(where, what, field, mode)
        data = _read_at_most(fd, cap + 1)
    except OSError as exc:
        raise _unreadable(path, what, field, exc) from None
    finally:
        os.close(fd)
    if len(data) > cap:
        raise InputError.single(
            f"{what} is larger than {cap} bytes; refusing to load it",
            location=where,
            field=field,
            hint="split it, or check that this is the file you meant",
        )
    return data


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 65_536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _not_regular(where: Location, what: str, field: str, mode: int) -> InputError:
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return InputError.single(
        f"{what} is not a regular file (it is {kind})",
        location=where,
        field=field,
        hint="give the path of a file",
    )


def _unreadable(path: Path, what: str, field: str, exc: OSError) -> InputError:
    """Opening failed: say what the path is when it exists but is no file (a socket: ENXIO)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return _not_regular(Location(str(path)), what, field, mode)
    return InputError.single(
        f"cannot read {what}: {exc.strerror or type(exc).__name__}",
        location=Location(str(path)),
        field=field,
    )
