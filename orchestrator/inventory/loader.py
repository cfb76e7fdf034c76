"""Load an inventory file: parse, validate every node, merge, check the graph, resolve.

Every problem of the file is gathered before anything is raised, so one run of
`orchestrator inventory list` shows them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from orchestrator.errors import InputError, Problem
from orchestrator.inventory.collect import ROOT, Collected, collect
from orchestrator.inventory.graph import depths, find_cycles, members, topological
from orchestrator.inventory.merge import Layer, merge
from orchestrator.inventory.model import Group, Inventory
from orchestrator.inventory.resolve import Resolved, check_hosts, resolve_host
from orchestrator.validation import describe, suggest
from orchestrator.yamlsource import SourceMap, YamlDocument, format_path, load_file, load_text


def load_inventory(path: Path) -> Inventory:
    """Load, validate and resolve an inventory file; InputError lists every problem."""
    return build_inventory(load_file(path, what="inventory"), path)


def parse_inventory(text: str, path: Path) -> Inventory:
    """Like load_inventory, from text; `path` names it and anchors relative paths."""
    return build_inventory(load_text(text, str(path)), path)


def build_inventory(document: YamlDocument, path: Path) -> Inventory:
    """The inventory of a parsed document; InputError lists every problem."""
    source = document.source
    if not isinstance(document.data, dict):
        raise InputError.single(
            f"expected an inventory (a mapping with 'all' and 'credentials'),"
            f" found {describe(document.data)}",
            location=source.value_at(()),
        )
    found = collect(document.data, source)
    layers, merge_problems = _layers(found, source)
    problems = found.problems + merge_problems
    problems += _clashes(found, source) + _credential_refs(found, layers.values())
    cycles = find_cycles(found.children)
    problems += [_cycle_problem(c.names, c.edge.path, source) for c in cycles]
    if ROOT in found.groups and not found.hosts:
        problems.append(Problem(source.key_at((ROOT,)), ROOT, "the inventory has no host"))
    if problems:
        raise InputError(problems)
    return _resolve(path, found, layers, source)


def _layers(found: Collected, source: SourceMap) -> tuple[dict[str, Layer], list[Problem]]:
    layers: dict[str, Layer] = {}
    problems: list[Problem] = []
    for kind, written in (("group", found.groups), ("host", found.hosts)):
        for name, places in written.items():
            layers[f"{kind} {name}"], more = merge(places, source)
            problems += more
    return layers, problems


def _clashes(found: Collected, source: SourceMap) -> list[Problem]:
    return [
        Problem(
            source.key_at(found.hosts[name][0].path),
            format_path(found.hosts[name][0].path),
            f"{name!r} names both a host and the group at"
            f" {source.key_at(found.groups[name][0].path)}",
            "rename one of them: a host pattern could not tell them apart",
        )
        for name in found.hosts
        if name in found.groups
    ]


def _credential_refs(found: Collected, layers: Iterable[Layer]) -> list[Problem]:
    problems: list[Problem] = []
    for layer in layers:
        setting = layer.settings.get("credential")
        if setting is not None and setting.value not in found.credential_names:
            problems.append(
                Problem(
                    setting.origin.location,
                    format_path(setting.path),
                    f"credential {setting.value!r} is not defined under 'credentials:'",
                    suggest(setting.value, found.credential_names)
                    or _defined(found.credential_names),
                )
            )
    return problems


def _defined(names: Iterable[str]) -> str:
    listed = ", ".join(sorted(names))
    return f"defined: {listed}" if listed else "add it under a top-level 'credentials:' mapping"


def _cycle_problem(names: Sequence[str], path: tuple[str | int, ...], source: SourceMap) -> Problem:
    return Problem(
        source.key_at(path),
        format_path(path),
        f"group cycle: {' -> '.join(names)}",
        "a group cannot contain itself; remove one of these children",
    )


def _resolve(
    path: Path, found: Collected, layers: Mapping[str, Layer], source: SourceMap
) -> Inventory:
    order = topological(list(found.groups), found.children)
    depth = depths(order, found.children)
    held = members(order, found.children, found.members)
    precedence = sorted(found.groups, key=lambda g: (depth[g], g))
    host_names = sorted(found.hosts, key=lambda n: source.key_at(found.hosts[n][0].path))
    resolved = [
        _resolve_host(name, [g for g in precedence if name in held[g]], layers, path)
        for name in host_names
    ]
    problems = check_hosts(resolved)
    kerberos_config = _kerberos_config(found, path, source, problems)
    if problems:
        raise InputError(problems)
    hosts = tuple(r.host for r in resolved)
    groups = _groups(found, held, host_names, source)
    return Inventory(path, hosts, groups, found.credentials, kerberos_config)


def _kerberos_config(
    found: Collected, path: Path, source: SourceMap, problems: list[Problem]
) -> Path | None:
    """`kerberos.config`, read from the inventory's directory; a problem when it is no file."""
    if found.kerberos_config is None:
        return None
    config = (path.parent / found.kerberos_config).resolve()
    if not config.is_file():
        problems.append(
            Problem(
                source.value_at(("kerberos", "config")),
                "kerberos.config",
                f"no Kerberos configuration at {config}",
                "give the path of a krb5.conf (relative to the inventory), or leave kerberos out"
                " to use the system's",
            )
        )
    return config


def _resolve_host(
    name: str, groups: Sequence[str], layers: Mapping[str, Layer], path: Path
) -> Resolved:
    chain = [layers[f"group {g}"] for g in groups] + [layers[f"host {name}"]]
    return resolve_host(name, chain, tuple(g for g in groups if g != ROOT), path.parent)


def _groups(
    found: Collected, held: Mapping[str, set[str]], host_order: Sequence[str], source: SourceMap
) -> dict[str, Group]:
    children: dict[str, list[str]] = {g: [] for g in found.groups}
    for edge in found.children:
        if edge.child not in children[edge.parent]:
            children[edge.parent].append(edge.child)
    return {
        name: Group(
            name,
            tuple(h for h in host_order if h in held[name]),
            tuple(children[name]),
            source.key_at(places[0].path),
        )
        for name, places in found.groups.items()
    }
