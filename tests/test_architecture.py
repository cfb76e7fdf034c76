"""The import picture shows the architecture: no cycle between packages, one pypsrp importer,
a sans-IO core, and the lab as a peer that imports nothing of the orchestrator's engine."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "orchestrator"

# What each part may not import (prefixes of module names).
FORBIDDEN = {
    "orchestrator.lab": ("orchestrator.engine", "orchestrator.modules", "orchestrator.transport",
                         "orchestrator.app", "orchestrator.planning", "orchestrator.report",
                         "orchestrator.journal"),
    "orchestrator.modules": ("orchestrator.transport", "orchestrator.engine", "orchestrator.app",
                             "orchestrator.playbook", "orchestrator.journal", "orchestrator.lab"),
    "orchestrator.journal": ("orchestrator.transport", "orchestrator.lab", "orchestrator.app"),
    "orchestrator.engine": ("orchestrator.transport", "orchestrator.lab", "orchestrator.app",
                            "orchestrator.journal"),
    "orchestrator.planning": ("orchestrator.transport", "orchestrator.lab", "orchestrator.app"),
    "orchestrator.playbook": ("orchestrator.modules", "orchestrator.engine",
                              "orchestrator.transport", "orchestrator.lab", "orchestrator.app"),
    "orchestrator.commands": ("orchestrator.transport", "orchestrator.engine",
                              "orchestrator.lab", "orchestrator.app"),
}  # fmt: skip
CLIENT_LIBRARIES = ("pypsrp", "requests")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """Every module the file imports, and whether only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for node in ast.walk(branch)
    }
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in checking
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            yield base, id(node) in checking


def _files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def test_no_part_imports_what_it_must_not() -> None:
    """Modules, journal and lab never reach the pypsrp adapter; the lab imports no engine;
    playbook/ and commands.py stay below the modules and the engine (at run time: an
    annotation may name a type from above)."""
    found = []
    for path in _files():
        name = _module_name(path)
        for part, banned in FORBIDDEN.items():
            if name != part and not name.startswith(part + "."):
                continue
            found += [
                f"{name} imports {module}"
                for module, typing_only in _imports(path)
                if module.startswith(banned) and not typing_only
            ]
    assert not found, "\n".join(found)


def test_only_the_pypsrp_adapter_imports_the_client_libraries() -> None:
    """pypsrp and requests are imported by orchestrator/transport/psrp/ alone (the lab, a peer
    serving WinRM, reuses pypsrp's message sealing on the server side)."""
    found = [
        f"{_module_name(path)} imports {module}"
        for path in _files()
        if not _module_name(path).startswith(("orchestrator.transport.psrp", "orchestrator.lab"))
        for module, _typing in _imports(path)
        if module.split(".")[0] in CLIENT_LIBRARIES
    ]
    assert not found, "\n".join(found)


def test_there_is_no_import_cycle_between_packages() -> None:
    """The graph of runtime imports between orchestrator's packages has no cycle."""
    graph: dict[str, set[str]] = {}
    for path in _files():
        source = _package_of(_module_name(path))
        for module, typing_only in _imports(path):
            if typing_only or not module.startswith("orchestrator."):
                continue
            target = _package_of(module)
            if target != source:
                graph.setdefault(source, set()).add(target)
    assert _cycle(graph) == []


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph, as its nodes in order, or []."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]), ({"a": {"b"}, "b": {"c"}}, [])],
)
def test_the_cycle_finder_itself(graph: dict[str, set[str]], expected: list[str]) -> None:
    """A two-package cycle is found; a chain is not a cycle."""
    assert _cycle(graph) == expected
