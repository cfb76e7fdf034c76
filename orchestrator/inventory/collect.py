"""Walk the raw inventory document: every place a group, host or credential is written.

Each node is validated on its own (schema.py) and the walk goes on past a bad node, so the
problems of a whole file are found in one pass. Nothing is merged or resolved here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import Problem
from orchestrator.inventory.model import Credential, Role
from orchestrator.inventory.schema import (
    NAME_PATTERN,
    CredentialSpec,
    GroupSpec,
    HostSpec,
    InventoryFile,
    Settings,
)
from orchestrator.validation import describe, validate
from orchestrator.yamlsource import NodePath, SourceMap, format_path

ROOT = "all"
_ROLE_NAMES = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class Written:
    """One place a group or host is written, with its settings (None when invalid)."""

    name: str
    path: NodePath
    spec: Settings | None
    scope: str


@dataclass(frozen=True)
class Edge:
    """`parent` lists `child` (a group or a host) at `path`."""

    parent: str
    child: str
    path: NodePath


@dataclass
class Collected:
    """Everything written in the document, by name, in document order."""

    groups: dict[str, list[Written]] = field(default_factory=dict)
    hosts: dict[str, list[Written]] = field(default_factory=dict)
    children: list[Edge] = field(default_factory=list)
    members: list[Edge] = field(default_factory=list)
    credentials: dict[str, Credential] = field(default_factory=dict)
    credential_names: set[str] = field(default_factory=set)
    kerberos_config: Path | None = None  # as written: relative to the inventory's directory
    problems: list[Problem] = field(default_factory=list)


def collect(data: Any, source: SourceMap) -> Collected:
    """Every group, host and credential of the document, and the problems of each."""
    walker = _Walker(source)
    spec, problems = validate(InventoryFile, data, source)
    walker.found.problems += problems
    if spec is not None and spec.kerberos is not None:
        walker.found.kerberos_config = Path(spec.kerberos.config)
    if isinstance(data, dict):
        walker.credentials(data.get("credentials"))
        if isinstance(data.get(ROOT), dict):
            walker.group(ROOT, data[ROOT], (ROOT,))
    return walker.found


class _Walker:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.found = Collected()

    def problem(self, path: NodePath, message: str, hint: str = "", *, key: bool = False) -> None:
        where = self.source.key_at(path) if key else self.source.value_at(path)
        self.found.problems.append(Problem(where, format_path(path), message, hint))

    def credentials(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return  # absent, or reported by InventoryFile
        for name, spec in raw.items():
            path: NodePath = ("credentials", name)
            if self.good_name(name, path, "credential"):
                self.found.credential_names.add(name)
                self.credential(name, spec, path)

    def credential(self, name: str, raw: Any, path: NodePath) -> None:
        spec, problems = validate(CredentialSpec, raw, self.source, path)
        self.found.problems += problems
        if spec is not None:
            where = self.source.value_at((*path, "password"))
            self.found.credentials[name] = Credential(name, spec.username, spec.password, where)

    def group(self, name: str, raw: Any, path: NodePath) -> None:
        spec = self.node(GroupSpec, raw, path, "group")
        scope = ROOT if name == ROOT else f"group {name}"
        self.found.groups.setdefault(name, []).append(Written(name, path, spec, scope))
        body = raw if isinstance(raw, dict) else {}
        for host, host_raw in _mapping(body.get("hosts")).items():
            self.host(name, host, host_raw, (*path, "hosts", host))
        for child, child_raw in _mapping(body.get("children")).items():
            self.child(name, child, child_raw, (*path, "children", child))

    def child(self, parent: str, name: Any, raw: Any, path: NodePath) -> None:
        if not self.good_name(name, path, "group"):
            return
        if name == ROOT:
            self.problem(path, "'all' is the root group; it cannot be a child", key=True)
            return
        self.found.children.append(Edge(parent, name, path))
        self.group(name, raw, path)

    def host(self, group: str, name: Any, raw: Any, path: NodePath) -> None:
        if not self.good_name(name, path, "host"):
            return
        spec = self.node(HostSpec, raw, path, "host")
        self.found.hosts.setdefault(name, []).append(Written(name, path, spec, f"host {name}"))
        self.found.members.append(Edge(group, name, path))

    def node(self, model: type[Settings], raw: Any, path: NodePath, kind: str) -> Settings | None:
        if raw is not None and not isinstance(raw, dict):
            self.problem(path, f"expected the {kind}'s settings (a mapping), found {describe(raw)}")
            return None
        spec, problems = validate(model, raw or {}, self.source, path)
        self.found.problems += problems
        return spec

    def good_name(self, name: Any, path: NodePath, kind: str) -> bool:
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            self.problem(
                path,
                f"a {kind} name is letters, digits, '-', '_' and '.'; found {describe(name)}",
                key=True,
            )
            return False
        if kind != "credential" and name in _ROLE_NAMES:
            self.problem(
                path,
                f"{name!r} is a role; a {kind} may not be named like one",
                "rename it (e.g. with a plural); host patterns read this name as the role",
                key=True,
            )
        return True


def _mapping(raw: Any) -> Mapping[Any, Any]:
    return raw if isinstance(raw, dict) else {}
