"""Merge the places one group or host is written into one layer of settings.

A host (or group) may be written in several places: under several groups, or a group under
several parents. Its settings merge, and roles add up; but the same key set to different
values in two places is an error naming both places (neither silently wins).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.errors import Problem
from orchestrator.inventory.collect import Written
from orchestrator.inventory.model import Origin, Role
from orchestrator.inventory.schema import CONNECTION_KEYS, HostSpec, Settings
from orchestrator.validation import describe
from orchestrator.yamlsource import NodePath, SourceMap, format_path


@dataclass(frozen=True)
class Setting:
    """A value, the document path it was written at, and its origin."""

    value: Any
    path: NodePath
    origin: Origin


@dataclass(frozen=True)
class Layer:
    """The merged settings of one group or host (keyed `port`, `vars.NAME`...), and roles."""

    scope: str
    settings: Mapping[str, Setting]
    roles: Mapping[Role, Setting]


def merge(written: Sequence[Written], source: SourceMap) -> tuple[Layer, list[Problem]]:
    """One layer from every place a group or host is written, and the conflicts found."""
    settings: dict[str, Setting] = {}
    roles: dict[Role, Setting] = {}
    problems: list[Problem] = []
    for place in written:
        if place.spec is None:
            continue  # its problems are already reported
        for key, value, path in _items(place.spec, place.path):
            new = Setting(value, path, Origin(source.value_at(path), place.scope))
            old = settings.setdefault(key, new)
            if old is not new and not _same(old.value, value):
                problems.append(_conflict(place, key, old, new))
        for index, role in enumerate(place.spec.roles or ()):
            path = (*place.path, "roles", index)
            roles.setdefault(Role(role), Setting(role, path, Origin(source.value_at(path), "")))
    scope = written[0].scope
    return Layer(scope, settings, _scoped(roles, scope)), problems


def _items(spec: Settings, base: NodePath) -> Iterator[tuple[str, Any, NodePath]]:
    keys = ("address", *CONNECTION_KEYS) if isinstance(spec, HostSpec) else CONNECTION_KEYS
    for key in keys:
        value = getattr(spec, key)
        if value is not None:
            yield key, value, (*base, key)
    for name, value in (spec.vars or {}).items():
        yield f"vars.{name}", value, (*base, "vars", name)


def _same(a: Any, b: Any) -> bool:
    # `1 == True` in Python; in an inventory they are different values.
    return type(a) is type(b) and bool(a == b)


def _scoped(roles: Mapping[Role, Setting], scope: str) -> dict[Role, Setting]:
    return {
        role: Setting(s.value, s.path, Origin(s.origin.location, scope))
        for role, s in roles.items()
    }


def _conflict(place: Written, key: str, old: Setting, new: Setting) -> Problem:
    kind = place.scope.split(" ", 1)[0]
    return Problem(
        new.origin.location,
        format_path(new.path),
        f"{kind} {place.name!r} sets {key} to {describe(new.value)} here"
        f" and to {describe(old.value)} at {old.origin.location}",
        f"a {kind} written in several places must agree; set {key} in one place only",
    )
