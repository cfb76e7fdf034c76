"""Plan files: a saved plan as a contract for `orchestrator run --plan`.

A plan file is versioned JSON (docs/plan-file.md). It records what was planned (playbook,
inventory, -e values and --limit, each with a sha256 digest of its content), what each host x
step would do, and a per-host fingerprint of every stable value probed there. `run --plan`
refuses a plan whose inputs changed, and a host whose fingerprint drifted. It holds no secret:
predictions come from events, which hold none, and -e values are checked by digest only.

Input files are named relative to the working directory where planned (when inside it), and
found relative to the working directory where applied: a plan made in one checkout (a CI job)
applies in another. The digests, not the paths, say whether they are the same files.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchestrator import __version__
from orchestrator.errors import InputError, Location
from orchestrator.inputfile import read_input_file

MAX_PLAN_BYTES = 64 * 1_048_576  # thousands of hosts x steps stay far below it
PLAN_FORMAT = "orchestrator-plan"
PLAN_VERSION = 2
"""2: input paths relative to the working directory when inside it (1: always absolute)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputFile(_Frozen):
    """A file the plan was made from."""

    path: str = Field(
        description="relative to the working directory, with '/', when planned inside it;"
        " else absolute"
    )
    sha256: str

    def local(self, cwd: Path) -> Path:
        """Where this file is for a plan applied in `cwd`."""
        return local_path(self.path, cwd)


class PlannedStep(_Frozen):
    """One host x step of the plan."""

    step_index: int
    step: str
    host: str
    kind: Literal["will-change", "no-change", "unknown", "skipped"]
    summary: str = ""
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""
    probed: str = Field("", description="sha256 of the probed state ('' when not stable)")


class PlanFile(_Frozen):
    """The saved plan."""

    format: Literal["orchestrator-plan"] = "orchestrator-plan"
    version: int = PLAN_VERSION
    created: datetime
    orchestrator_version: str
    playbook: InputFile
    inventory: InputFile
    extra_vars: list[str] = Field(description="the -e arguments as given, in order")
    extra_vars_sha256: str = Field(description="sha256 of the resolved -e values")
    limit: str | None = None
    hosts: dict[str, str] = Field(description="host -> fingerprint of its probed state")
    steps: list[PlannedStep]
    changes_pending: bool

    def for_host(self, host: str) -> list[PlannedStep]:
        """This host's planned steps, in order."""
        return [s for s in self.steps if s.host == host]


def portable_path(path: Path, cwd: Path) -> str:
    """How a plan file names an input: relative to `cwd` (with '/') when the file is inside it,
    as typed (a symlinked folder of the checkout stays named through the link); else absolute."""
    full = cwd / path
    if ".." not in full.parts and full.is_relative_to(cwd):
        return full.relative_to(cwd).as_posix()
    real, root = full.resolve(), cwd.resolve()
    if real.is_relative_to(root):
        return real.relative_to(root).as_posix()
    return str(real)


def local_path(recorded: str, cwd: Path) -> Path:
    """A path as a plan file names it, on this machine: a relative one from `cwd`."""
    return cwd / recorded


def portable_argument(argument: str, cwd: Path) -> str:
    """An `-e`/`--limit` argument as a plan file keeps it: `@FILE` with FILE as portable_path
    names it (both are read relative to the working directory); any other argument as is."""
    if not argument.startswith("@") or argument == "@":
        return argument
    return "@" + portable_path(Path(argument[1:]), cwd)


def write_plan(plan: PlanFile, path: Path) -> None:
    """Write atomically (a crash leaves the old file or the new one, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = plan.model_dump_json(indent=2) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_plan(path: Path) -> PlanFile:
    """Load a plan file; InputError naming the file and field for anything wrong."""
    where = Location(str(path))
    try:
        raw = read_input_file(path, what="plan file", cap=MAX_PLAN_BYTES)
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise InputError.single(
            f"no plan file {path}", location=where, hint="make one with `orchestrator plan --out`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError.single(
            f"{path} is not a plan file: {exc}", location=where, hint="make one with --out"
        ) from None
    _check_header(data, where)
    try:
        return PlanFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError.single(
            str(first["msg"]),
            location=where,
            field=field,
            hint="the file was edited or damaged: plan again with `orchestrator plan --out`",
        ) from None


def _check_header(data: Any, where: Location) -> None:
    if not isinstance(data, Mapping) or data.get("format") != PLAN_FORMAT:
        raise InputError.single(
            f'{where.file} is not an orchestrator plan (no "format": "{PLAN_FORMAT}")',
            location=where,
            hint="make one with `orchestrator plan --out`",
        )
    version = data.get("version")
    if version == PLAN_VERSION:
        return
    if not isinstance(version, int) or isinstance(version, bool):
        made, hint = f"has no valid version ({version!r})", "plan again with `orchestrator plan`"
    elif version < PLAN_VERSION:
        made = f"is a plan file of version {version}, made by an older orchestrator"
        hint = "plan again with this orchestrator (`orchestrator plan --out`)"
    else:
        made = f"is a plan file of version {version}, made by a newer orchestrator"
        hint = "apply it with the orchestrator that made it, or plan again with this one"
    raise InputError.single(
        f"{where.file} {made} ({data.get('orchestrator_version', 'unknown')});"
        f" this orchestrator ({__version__}) reads version {PLAN_VERSION}",
        location=where,
        field="version",
        hint=hint,
    )
