"""process: run a program and wait for it (Start-Process -Wait -PassThru), e.g. Smsman.exe.

Start-Process -Wait waits for the program and every process it starts (a job object), and
only -PassThru returns the Process whose ExitCode we check (Start-Process on Microsoft Learn;
PowerShell/PowerShell#15555); calling a GUI program such as Smsman.exe directly would not
wait. `creates`/`removes` are guards read with Test-Path. A copy of the program already running
(Get-Process, matched by path: an earlier attempt whose answer was lost on the way, or a
logon script) is waited for (Wait-Process) and the guards read again, never started a second
time beside it. Windows PowerShell 5.1 joins
-ArgumentList with spaces without quoting, so an argument holding a space is quoted here. What
a program did cannot be undone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from orchestrator.commands import SWITCH, Command
from orchestrator.errors import StepError
from orchestrator.modules.base import ArgsModel, ModuleSpec, always_irreversible
from orchestrator.modules.logic import change, first, objects, read, run
from orchestrator.modules.protocol import Diff, DiffKind, Logic, ModuleTraits, StepContext
from orchestrator.modules.system_task import TaskRun, run_as_system, task_name, task_run


class Args(ArgsModel):
    """Arguments of process."""

    path: str = Field(min_length=1, description="the program, e.g. C:\\WINNT\\...\\Smsman.exe")
    arguments: tuple[str, ...] = Field((), description="each argument separately, e.g. [/u, /q]")
    expected_exit_codes: tuple[int, ...] = Field((0,), min_length=1)
    creates: str | None = Field(None, description="skip when this path already exists")
    removes: str | None = Field(None, description="run only when this path exists")
    working_directory: str | None = None
    run_as: Literal["session", "system"] = Field(
        "session",
        description="system: run it as SYSTEM through a one-shot scheduled task, so that it"
        " reaches network shares with the computer account (no second hop over WinRM)",
    )


@dataclass(frozen=True)
class GuardState:
    """What Test-Path said about the guards (None: no such guard), and the ids of copies of
    the program running now."""

    creates_exists: bool | None = None
    removes_exists: bool | None = None
    running: tuple[int, ...] = ()
    task: TaskRun | None = None  # run_as system: the task an earlier attempt registered

    def facts(self) -> dict[str, Any]:
        """JSON-able, for a Diff."""
        found: dict[str, Any] = {
            "creates_exists": self.creates_exists,
            "removes_exists": self.removes_exists,
        }
        if self.running:
            found["running"] = list(self.running)
        if self.task is not None:
            found["task_ran"] = self.task.ran
        return found


def quote_argument(argument: str) -> str:
    """One argument as CommandLineToArgvW reads it back: quoted when it holds a space."""
    if argument and not re.search(r'[\s"]', argument):
        return argument
    escaped = re.sub(r'(\\*)"', r'\1\1\\"', argument)
    escaped = re.sub(r"(\\+)$", r"\1\1", escaped)
    return f'"{escaped}"'


def _exists(path: str | None) -> Logic[bool | None]:
    if path is None:
        return None
    result = yield from run(read("Test-Path", Path=path))
    return result.outputs == (True,)


def _started(args: Args) -> Logic[int | None]:
    """Start-Process -Wait -PassThru in the WinRM session: the exit code."""
    result = yield from run(
        change(
            "Start-Process",
            FilePath=args.path,
            ArgumentList=[quote_argument(a) for a in args.arguments] or None,
            WorkingDirectory=args.working_directory,
            Wait=SWITCH,
            PassThru=SWITCH,
        )
    )
    process = first(result)
    code = process.get("ExitCode") if process is not None else None
    return None if code is None else int(code)


def _task(args: Args) -> str:
    return task_name(args.path, args.arguments)


_NOT_RUNNING = "NoProcessFoundForGivenName"
_GONE = "NoProcessFoundForGivenId"  # it exited between Get-Process and Wait-Process


def _running(path: str) -> Logic[tuple[int, ...]]:
    """The ids of the processes running `path` now (by name, then matched by full path)."""
    result = yield from run(read("Get-Process", Name=_process_name(path)), allow={_NOT_RUNNING})
    wanted = _normalized(path)
    return tuple(int(p["Id"]) for p in objects(result) if _normalized(str(p.get("Path"))) == wanted)


def _process_name(path: str) -> str:
    name = _normalized(path).rsplit("\\", 1)[-1]
    return name[:-4] if name.endswith(".exe") else name


def _normalized(path: str) -> str:
    return path.replace("/", "\\").rstrip("\\").lower()


def _skip_reason(args: Args, state: GuardState) -> str | None:
    if state.creates_exists:
        return f"{args.creates} exists"
    if state.removes_exists is False:
        return f"{args.removes} does not exist"
    return None


class Process(ModuleTraits):
    """The process module."""

    name = "process"

    def probe(self, args: Args, _ctx: StepContext) -> Logic[GuardState]:
        """Test-Path on the creates/removes guards, and Get-Process for a running copy."""
        creates = yield from _exists(args.creates)
        removes = yield from _exists(args.removes)
        running = yield from _running(args.path)
        task = (yield from task_run(_task(args))) if args.run_as == "system" else None
        return GuardState(creates, removes, running, task)

    def diff(self, args: Args, state: GuardState) -> Diff:
        """A running copy is waited for; else skipped by a guard, or a change: running a
        program changes what it changes."""
        command = " ".join([args.path, *args.arguments])
        if state.task is not None:
            summary = f"collect the result of {command}, started as SYSTEM by an earlier attempt"
            return Diff(DiffKind.CHANGE, summary, state.facts(), {"ran": command})
        if state.running:
            ids = ", ".join(str(pid) for pid in state.running)
            summary = (
                f"wait for {args.path} already running (id {ids}), then run {command} if needed"
            )
            return Diff(DiffKind.CHANGE, summary, state.facts(), {"ran": command})
        reason = _skip_reason(args, state)
        if reason is not None:
            return Diff(DiffKind.NONE, f"not running {command}: {reason}", state.facts())
        return Diff(DiffKind.CHANGE, f"run {command}", state.facts(), {"ran": command})

    def apply(self, args: Args, state: GuardState, ctx: StepContext) -> Logic[None]:
        """Wait for a running copy and read the guards again; then Start-Process -Wait
        -PassThru where still needed; the exit code must be an expected one."""
        if state.running and state.task is None:
            yield from run(read("Wait-Process", Id=list(state.running)), allow={_GONE})
            again = yield from self.probe(args, ctx)
            if again.running or _skip_reason(args, again) is not None:
                return
        if args.run_as == "system":
            quoted = " ".join(quote_argument(a) for a in args.arguments)
            code: int | None = yield from run_as_system(args.path, quoted, _task(args), state.task)
        else:
            code = yield from _started(args)
        if code not in args.expected_exit_codes:
            expected = ", ".join(str(c) for c in args.expected_exit_codes)
            raise StepError(f"{args.path} exited with {code}; expected {expected}")

    def undo(self, _args: Args, _state: GuardState) -> tuple[Command, ...] | None:
        """Never: what a program did cannot be undone by the engine."""
        return None


SPEC = ModuleSpec(
    "process",
    Args,
    "run a program, check its exit code (creates/removes guards)",
    always_irreversible("a program's effects cannot be undone by the engine"),
    implementation=Process(),
)
