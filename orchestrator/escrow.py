"""Escrow of generated secrets: where a new password is kept so that people can learn it.

A password that `generate` makes exists only in the run's memory; without an escrow it is lost
when the run ends, and the site's admins can never learn the new connection account's
password. An escrow hands it over right after it is generated, before any host is contacted,
to a destination the operator chose:

    file:PATH             a new file, mode 0600, holding the secret and a newline, written
                          atomically; refused when the file exists or its directory is
                          world-writable. PATH is relative to the working directory.
    command:PROGRAM ARGS  a program that reads the secret on its standard input, e.g. a
                          password manager (`command:pass insert -m sms/tb1`); started without
                          a shell, its arguments split as a POSIX shell would (shlex); a
                          non-zero exit is an error naming the command (its output, which may
                          echo the secret, is not shown)
    none                  no escrow (command line only): the secret is lost when the run ends

`{{ run_id }}` and `{{ secret }}` (the secret's name) are replaced in a destination; nothing else
is a template there. A playbook may only propose a file under the working directory
(`secrets: {pw: {generate: true, escrow: "file:..."}}`); a program, or a file elsewhere, is
the operator's choice: `--escrow NAME=DESTINATION` on the command line overrides the playbook.
Nothing here logs, prints or raises the secret: errors name the destination only.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets as _random
import shlex
import stat
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Literal

from orchestrator.errors import InputError, Problem, RefusedError

if TYPE_CHECKING:  # secrets.py imports this module to check a playbook's escrow
    from orchestrator.secrets import Secret, SecretSource

Kind = Literal["file", "command", "none"]
PLACEHOLDERS = ("run_id", "secret")
PLANNED_RUN_ID = "<run id>"  # what a plan shows for the run id it does not know yet
COMMAND_TIMEOUT = 120.0  # seconds a command has to take the secret (a pinentry may ask)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


@dataclass(frozen=True)
class Destination:
    """Where a secret goes: a file, a command line, or nowhere (placeholders unreplaced)."""

    kind: Kind
    target: str = ""

    def __str__(self) -> str:
        return "none" if self.kind == "none" else f"{self.kind}:{self.target}"

    def rendered(self, run_id: str, secret: str) -> Destination:
        """The destination with `{{ run_id }}` and `{{ secret }}` replaced."""
        values = {"run_id": run_id, "secret": secret}
        return Destination(self.kind, _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.target))


def parse_destination(text: str) -> Destination:
    """`file:PATH`, `command:PROGRAM ARGS...` or `none`; ValueError saying what is wrong."""
    kind, colon, target = text.partition(":")
    if text.strip() == "none":
        return Destination("none")
    if kind not in ("file", "command") or not colon or not target.strip():
        raise ValueError(
            "expected an escrow destination 'file:PATH', 'command:PROGRAM ARGS...' or 'none'"
        )
    _check_placeholders(target)
    if kind == "file":
        return Destination("file", target)
    try:
        argv = shlex.split(target)
    except ValueError as exc:
        raise ValueError(f"the escrow command cannot be split into arguments: {exc}") from None
    if not argv:
        raise ValueError("the escrow command names no program")
    return Destination("command", target.strip())


def _check_placeholders(target: str) -> None:
    for name in _PLACEHOLDER.findall(target):
        if name not in PLACEHOLDERS:
            raise ValueError(
                f"unknown placeholder '{{{{ {name} }}}}' in an escrow destination; known:"
                " {{ run_id }}, {{ secret }}"
            )
    rest = _PLACEHOLDER.sub("", target)
    if any(mark in rest for mark in ("{{", "}}", "{%", "%}")):
        raise ValueError(
            "an escrow destination is not a template: only {{ run_id }} and {{ secret }}"
            " are replaced"
        )


def playbook_destination_error(text: str) -> str | None:
    """Why a playbook may not propose this escrow, or None: a playbook names only a relative
    file under the working directory; anything else is the operator's choice (--escrow)."""
    try:
        destination = parse_destination(text)
    except ValueError as exc:
        return str(exc)
    if destination.kind != "file":
        return (
            "a playbook may propose only a file escrow ('file:PATH'); a program that receives"
            " a secret is named by the operator: --escrow NAME=command:..."
        )
    path = destination.target
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or path.startswith("~"):
        return (
            "a playbook's escrow file is relative to the working directory; a file elsewhere"
            " is named by the operator: --escrow NAME=file:PATH"
        )
    if ".." in posix.parts or ".." in windows.parts:
        return "a playbook's escrow file stays under the working directory: no '..'"
    return None


# --- what goes where --------------------------------------------------------------------------


@dataclass(frozen=True)
class Escrow:
    """A generated secret and where it goes (None: nowhere, it is lost when the run ends)."""

    secret: str
    destination: Destination | None

    def shown(self, run_id: str, cwd: Path) -> str:
        """The destination as reports show it (a file by its absolute path); "" for none."""
        if self.destination is None:
            return ""
        found = self.destination.rendered(run_id, self.secret)
        if found.kind == "file":
            return f"file:{_file_path(found.target, cwd)}"
        return str(found)


@dataclass(frozen=True)
class Escrowed:
    """Where a generated secret went (or would go): its name and destination, never its value."""

    secret: str
    destination: str  # "" when it is not escrowed


def parse_overrides(items: Sequence[str]) -> dict[str, Destination]:
    """The operator's `--escrow NAME=DESTINATION` options; InputError naming every bad one."""
    found: dict[str, Destination] = {}
    problems = []
    for item in items:
        try:
            name, destination = _override(item, found)
        except ValueError as exc:
            problems.append(Problem(None, "--escrow", f"{item!r}: {exc}"))
        else:
            found[name] = destination
    if problems:
        raise InputError(problems)
    return found


def _override(item: str, found: Mapping[str, Destination]) -> tuple[str, Destination]:
    name, equals, text = item.partition("=")
    name = name.strip()
    if not equals or not _NAME.match(name):
        raise ValueError("expected NAME=DESTINATION, e.g. new_account_password=file:PATH")
    if name in found:
        raise ValueError(f"secret {name!r} is given more than one escrow")
    return name, parse_destination(text.strip())


def plan_escrows(
    sources: Mapping[str, SecretSource], overrides: Mapping[str, Destination]
) -> list[Escrow]:
    """Each generated secret of a playbook (`sources`: name -> SecretSource) with its escrow:
    the operator's override, else the playbook's proposal, else none. InputError for an
    override naming no secret, or a secret that is not generated."""
    generated = [name for name, source in sources.items() if source.kind == "generate"]
    problems = [
        Problem(None, "--escrow", *_not_escrowable(name, sources, generated))
        for name in overrides
        if name not in generated
    ]
    if problems:
        raise InputError(problems)
    escrows = []
    for name in generated:
        proposed = getattr(sources[name], "escrow", None)
        destination = overrides.get(name) or (parse_destination(proposed) if proposed else None)
        escrows.append(
            Escrow(name, None if destination and destination.kind == "none" else destination)
        )
    return escrows


def _not_escrowable(
    name: str, sources: Mapping[str, SecretSource], generated: list[str]
) -> tuple[str, str]:
    choices = ", ".join(generated) or "none"
    if name not in sources:
        return f"the playbook has no secret {name!r}", f"its generated secrets: {choices}"
    why = (
        f"secret {name!r} is not generated (it comes from {sources[name].kind}: someone knows it"
        " already); only a generated secret is escrowed"
    )
    return why, f"its generated secrets: {choices}"


def planned(escrows: Sequence[Escrow], cwd: Path | None = None) -> list[Escrowed]:
    """Where each generated secret would go (a plan: the run id is not known yet)."""
    here = cwd or Path.cwd()
    return [Escrowed(e.secret, e.shown(PLANNED_RUN_ID, here)) for e in escrows]


def deposit(
    escrows: Sequence[Escrow],
    secrets: Mapping[str, Secret],
    run_id: str,
    *,
    cwd: Path | None = None,
    runner: Runner = subprocess.run,
) -> list[Escrowed]:
    """Hand each generated secret to its destination, in order; RefusedError (naming the
    destination, never the secret) at the first that fails, with those already written."""
    here = cwd or Path.cwd()
    done: list[Escrowed] = []
    for escrow in escrows:
        shown = escrow.shown(run_id, here)
        if escrow.destination is not None:
            target = escrow.destination.rendered(run_id, escrow.secret)
            try:
                _hand_over(target, secrets[escrow.secret].reveal(), here, runner)
            except _FailedError as exc:
                raise RefusedError(_refusal(escrow.secret, shown, str(exc), done)) from None
        done.append(Escrowed(escrow.secret, shown))
    return done


def _refusal(name: str, shown: str, why: str, done: list[Escrowed]) -> str:
    kept = [f"{d.secret} in {d.destination}" for d in done if d.destination]
    earlier = f"; already escrowed (now unused): {', '.join(kept)}" if kept else ""
    return (
        f"cannot escrow generated secret {name!r} to {shown}: {why}; the run did not start and"
        f" nothing was changed (choose another destination with --escrow {name}=...){earlier}"
    )


class _FailedError(Exception):
    """An escrow failed; the message says why (never with the secret)."""


def _hand_over(target: Destination, value: str, cwd: Path, runner: Runner) -> None:
    if target.kind == "file":
        write_file(_file_path(target.target, cwd), value)
    else:
        run_command(target.target, value, runner)


def _file_path(target: str, cwd: Path) -> Path:
    path = cwd / Path(target).expanduser()
    return path.parent.resolve() / path.name  # the file itself is never followed if a link


def write_file(path: Path, value: str) -> None:
    """Create `path` (mode 0600) holding `value` and a newline, atomically: written beside it,
    then hard-linked into place, which (unlike a rename) never replaces an existing file."""
    directory = path.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = directory.stat().st_mode
    except OSError as exc:
        raise _FailedError(f"cannot use directory {directory}: {exc.strerror}") from None
    if os.name == "posix" and mode & stat.S_IWOTH:
        raise _FailedError(f"directory {directory} is world-writable")
    if path.exists() or path.is_symlink():
        raise _FailedError("the file exists already (an escrow never replaces one)")
    temporary = directory / f".{path.name}.{_random.token_hex(4)}.tmp"
    try:
        _write_new(temporary, value + "\n")
        os.link(temporary, path)
    except FileExistsError:
        raise _FailedError("the file exists already (an escrow never replaces one)") from None
    except OSError as exc:
        raise _FailedError(f"cannot write it: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(directory)


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        if hasattr(os, "fchmod"):
            os.fchmod(stream.fileno(), 0o600)  # the umask may only have narrowed it; be exact
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())


def _sync_directory(directory: Path) -> None:
    """Make the new name durable (POSIX: fsync the directory); best effort elsewhere."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def run_command(command_line: str, value: str, runner: Runner = subprocess.run) -> None:
    """Run the command (no shell) with `value` and a newline on its standard input; its output
    is discarded (it may echo the secret); _FailedError for a non-zero exit."""
    argv = shlex.split(command_line)
    try:
        done = runner(
            argv,
            input=(value + "\n").encode("utf-8"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _FailedError(f"{argv[0]} did not finish within {COMMAND_TIMEOUT:.0f}s") from None
    except OSError as exc:
        raise _FailedError(f"{argv[0]} cannot be started: {exc.strerror}") from None
    if done.returncode != 0:
        raise _FailedError(
            f"{argv[0]} exited with code {done.returncode} (its output is not shown: it may hold"
            " the secret)"
        )
