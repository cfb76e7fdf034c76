"""Variables: where they come from, which one wins, and rendering them in dependency order.

Precedence, lowest to highest (documented in docs/variables.md):
    1. playbook `vars:`         defaults written by the playbook's author
    2. inventory `all` vars     the domain's settings
    3. inventory group vars     by group depth, then group name (later wins)
    4. inventory host vars
    5. `-e key=value`, `-e @file.yml`, in the order given (later wins)

Playbook vars are the lowest on purpose: a playbook is generic, the inventory describes one
domain, and the operator's command line overrides both. A variable may refer to others
(`new_account: "SMSClient2_{{ site_code }}"`); they are rendered in dependency order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError, Location, Problem
from orchestrator.templating import Templar, TemplateError
from orchestrator.validation import suggest
from orchestrator.yamlsource import SourceMap, load_file, walk

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Var:
    """A variable's value and where it was set (for errors and `inventory list`)."""

    value: Any
    location: Location | None
    scope: str


def vars_from_mapping(
    values: Mapping[str, Any], source: SourceMap, base: tuple[str, ...], scope: str
) -> dict[str, Var]:
    """Wrap a `vars:` mapping of a YAML document with each value's location."""
    return {
        name: Var(value, source.value_at((*base, name)), scope) for name, value in values.items()
    }


def layer(*levels: Mapping[str, Var]) -> dict[str, Var]:
    """Merge levels given lowest first: a later level's value wins."""
    merged: dict[str, Var] = {}
    for level in levels:
        merged.update(level)
    return merged


def parse_extra_vars(items: Sequence[str], cwd: Path) -> dict[str, Var]:
    """`-e key=value` and `-e @file.yml`, later ones winning; every bad item is reported."""
    merged: dict[str, Var] = {}
    problems: list[Problem] = []
    for item in items:
        try:
            merged.update(_extra_var(item, cwd))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return merged


def _extra_var(item: str, cwd: Path) -> dict[str, Var]:
    where = Location("command line -e")
    if item.startswith("@"):
        return _extra_vars_file(cwd / item[1:])
    name, sep, value = item.partition("=")
    if not sep or not _IDENTIFIER.match(name.strip()):
        raise InputError.single(
            f"expected key=value or @file.yml, found {item!r}",
            location=where,
            hint="variable names are letters, digits and _, not starting with a digit",
        )
    return {name.strip(): Var(value, where, "-e")}


def _extra_vars_file(path: Path) -> dict[str, Var]:
    doc = load_file(path, what="vars file")
    if not isinstance(doc.data, dict):
        raise InputError.single(
            "a vars file is a mapping of variable names to values", location=doc.source.value_at(())
        )
    bad = [k for k in doc.data if not (isinstance(k, str) and _IDENTIFIER.match(k))]
    if bad:
        raise InputError(
            Problem(doc.source.key_at((k,)), str(k), "not a valid variable name") for k in bad
        )
    return vars_from_mapping(doc.data, doc.source, (), f"-e @{path}")


class VariableResolver:
    """Renders a set of variables, each after the variables it refers to."""

    def __init__(self, templar: Templar) -> None:
        self.templar = templar

    def resolve(self, variables: Mapping[str, Var], context: Mapping[str, Any]) -> dict[str, Any]:
        """All variables rendered, on top of `context` (magic names, secrets)."""
        run = _Resolution(self.templar, variables, context)
        for name in variables:
            run.visit(name, ())
        if run.problems:
            raise InputError(run.problems)
        return run.values


class _Resolution:
    def __init__(
        self, templar: Templar, variables: Mapping[str, Var], context: Mapping[str, Any]
    ) -> None:
        self.templar = templar
        self.variables = variables
        self.values: dict[str, Any] = dict(context)
        self.resolved: set[str] = set()
        self.failed: set[str] = set()
        self.problems: list[Problem] = []
        for name in variables.keys() & context.keys():
            self.fail(name, f"'{name}' is a reserved name the engine provides; rename it")

    def visit(self, name: str, chain: tuple[str, ...]) -> None:
        if name in self.resolved or name in self.failed:
            return
        if name in chain:
            cycle = " -> ".join((*chain[chain.index(name) :], name))
            self.fail(name, f"variables refer to each other in a cycle: {cycle}")
            return
        var = self.variables[name]
        for dep in sorted(self.references(var.value) & self.variables.keys()):
            self.visit(dep, (*chain, name))
            if dep in self.failed:
                self.failed.add(name)  # the dependency's own problem is the one to fix
                return
        try:
            self.values[name] = self.templar.render(var.value, self.values)
            self.resolved.add(name)
        except TemplateError as exc:
            self.fail(name, self.with_suggestion(str(exc)))

    def with_suggestion(self, message: str) -> str:
        """Suggest among ALL names: variables not rendered yet are not in the template's view."""
        missing = re.search(r"'(\w+)' is undefined$", message)
        if not missing:
            return message
        hint = suggest(missing.group(1), [*self.variables, *self.values])
        return f"{message}; {hint}" if hint else message

    def fail(self, name: str, message: str) -> None:
        if name in self.failed:
            return
        self.failed.add(name)
        var = self.variables[name]
        self.problems.append(Problem(var.location, f"vars.{name} ({var.scope})", message))

    def references(self, value: Any) -> set[str]:
        names: set[str] = set()
        for _, item in walk(value):
            if isinstance(item, str) and ("{{" in item or "{%" in item):
                names |= _names_used(self.templar, item)
        return names


def _names_used(templar: Templar, text: str) -> set[str]:
    try:
        return templar.names_used(text)
    except Exception:  # noqa: BLE001 -- a syntax error surfaces when the value is rendered
        return set()


def declared_names(levels: Iterable[Mapping[str, Var]]) -> set[str]:
    """Every variable name set at any level (for "did you mean" on undefined names)."""
    return {name for level in levels for name in level}
