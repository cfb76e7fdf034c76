"""process: run a program and wait for it (Start-Process -Wait -PassThru), e.g. Smsman.exe."""

from __future__ import annotations

from pydantic import Field

from orchestrator.modules.base import ArgsModel, ModuleSpec, always_irreversible


class Args(ArgsModel):
    """Arguments of process."""

    path: str = Field(min_length=1, description="the program, e.g. C:\\WINNT\\...\\Smsman.exe")
    arguments: tuple[str, ...] = Field((), description="each argument separately, e.g. [/u, /q]")
    expected_exit_codes: tuple[int, ...] = Field((0,), min_length=1)
    creates: str | None = Field(None, description="skip when this path already exists")
    removes: str | None = Field(None, description="run only when this path exists")
    working_directory: str | None = None


SPEC = ModuleSpec(
    "process",
    Args,
    "run a program, check its exit code (creates/removes guards)",
    always_irreversible("a program's effects cannot be undone by the engine"),
)
