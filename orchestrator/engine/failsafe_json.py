"""Commands as JSON, for an armed failsafe the journal keeps and a later `rollback` reads.

A failsafe's commands are plain literals by construction (they became a task's script text):
strings, integers, booleans, switches and lists of those. A switch is `{"switch": true}`; a
tuple comes back as a list, so commands are stored with lists (`normalised`) to round-trip
exactly. Anything else, a Secret above all, is refused: no secret is ever written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.commands import SWITCH, Command

_SWITCH_JSON = {"switch": True}
_SCALARS = (str, int, float, bool, type(None))


def normalised(command: Command) -> Command:
    """The same command with tuple values as lists (what JSON gives back)."""
    params = tuple((name, _normal(value)) for name, value in command.parameters)
    return Command(command.cmdlet, params, command.mutating, command.is_script)


def _normal(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def command_to_json(command: Command) -> dict[str, Any]:
    """A JSON-able dict: cmdlet, parameters as [name, value] pairs, mutating."""
    if command.is_script:
        raise ValueError("a script is not a failsafe command")
    return {
        "cmdlet": command.cmdlet,
        "parameters": [[name, _encode(name, value)] for name, value in command.parameters],
        "mutating": command.mutating,
    }


def _encode(name: str, value: Any) -> Any:
    if value is SWITCH:
        return dict(_SWITCH_JSON)
    if isinstance(value, list | tuple):
        return [_encode(name, v) for v in value]
    if isinstance(value, _SCALARS):
        return value
    raise ValueError(f"-{name}: a {type(value).__name__} is not stored in the journal")


def command_from_json(data: Mapping[str, Any]) -> Command:
    """The Command `command_to_json` wrote."""
    params = tuple((str(name), _decode(value)) for name, value in data["parameters"])
    return Command(str(data["cmdlet"]), params, bool(data["mutating"]))


def _decode(value: Any) -> Any:
    if value == _SWITCH_JSON:
        return SWITCH
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, _SCALARS):
        return value
    raise ValueError(f"not a stored parameter value: {value!r}")
