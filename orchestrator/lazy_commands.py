"""Sub-commands mounted on first use, so `orchestrator --help` imports none of their machinery.

`orchestrator/inventory/__init__.py` and `orchestrator/journal/__init__.py` pull in pydantic,
structlog and SQLite on import; mounting their typer apps eagerly cost every invocation that
time, `--help` included. A `LazyCommand` names where a command lives ("module:attribute", a
typer app or a command function) and its one-line help for the listing; the group imports the
module only when that command is resolved (invoked, or asked for its own `--help`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typer import _click as click  # typer vendors click; its group API speaks these types


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command imported on first use: its name, "module:attribute" and one-line help."""

    name: str
    target: str
    help: str

    def load(self) -> click.Command:
        """Import the target and build its click command under this name."""
        module_name, _, attribute = self.target.partition(":")
        found: Any = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(found, typer.Typer):
            single = typer.Typer(add_completion=False)
            single.command(self.name)(found)
            found = single
        command = typer.main.get_command(found)
        command.name = self.name
        command.help = command.help or self.help
        return command


class _Placeholder(TyperCommand):
    """Stands in a group's listing for a lazy command until it is resolved."""

    def __init__(self, entry: LazyCommand) -> None:
        super().__init__(entry.name, help=entry.help, short_help=entry.help)
        self.entry = entry


class LazyGroup(TyperGroup):
    """A typer group whose `lazy` commands are imported when resolved, not when listed."""

    lazy: ClassVar[Sequence[LazyCommand]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for entry in self.lazy:  # listed (help, "did you mean") by name and help alone
            self.commands.setdefault(entry.name, _Placeholder(entry))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command named by args[0], its module imported now if it is a lazy one."""
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Placeholder):
            command = self.commands[name] = command.entry.load()
        return name, command, rest


def lazy_group(*commands: LazyCommand) -> type[LazyGroup]:
    """A LazyGroup class with these lazy commands, for `typer.Typer(cls=...)`."""
    return type("LazyGroup", (LazyGroup,), {"lazy": commands})
