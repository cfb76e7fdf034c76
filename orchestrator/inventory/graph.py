"""The group graph: cycles, depth below `all`, and which hosts each group holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from orchestrator.inventory.collect import ROOT, Edge


@dataclass(frozen=True)
class Cycle:
    """Groups that contain themselves: `names` runs from a group back to it, closed by `edge`."""

    names: tuple[str, ...]
    edge: Edge


def _adjacency(edges: Sequence[Edge]) -> dict[str, list[Edge]]:
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.parent, []).append(edge)
    return graph


def find_cycles(edges: Sequence[Edge]) -> list[Cycle]:
    """Every distinct cycle of parent -> child group edges (iterative: chains may be long)."""
    graph = _adjacency(edges)
    done: set[str] = set()
    cycles: dict[frozenset[str], Cycle] = {}
    for start in graph:
        if start not in done:
            for cycle in _cycles_from(start, graph, done):
                cycles.setdefault(frozenset(cycle.names), cycle)
    return list(cycles.values())


def _cycles_from(start: str, graph: Mapping[str, list[Edge]], done: set[str]) -> Iterator[Cycle]:
    path = [start]
    stack = [iter(graph.get(start, ()))]
    while stack:
        edge = next(stack[-1], None)
        if edge is None:
            done.add(path.pop())
            stack.pop()
        elif edge.child in path:
            yield Cycle((*path[path.index(edge.child) :], edge.child), edge)
        elif edge.child not in done:
            path.append(edge.child)
            stack.append(iter(graph.get(edge.child, ())))


def topological(groups: Sequence[str], edges: Sequence[Edge]) -> list[str]:
    """Groups with every parent before its children (the graph must have no cycle)."""
    graph = _adjacency(edges)
    waiting = dict.fromkeys(groups, 0)
    for edge in edges:
        waiting[edge.child] = waiting.get(edge.child, 0) + 1
    ready = [g for g, n in waiting.items() if n == 0]
    order: list[str] = []
    while ready:
        group = ready.pop(0)
        order.append(group)
        for edge in graph.get(group, ()):
            waiting[edge.child] -= 1
            if waiting[edge.child] == 0:
                ready.append(edge.child)
    return order


def depths(order: Sequence[str], edges: Sequence[Edge]) -> dict[str, int]:
    """Each group's depth below `all`: its longest path from it, as Ansible counts."""
    graph = _adjacency(edges)
    depth = dict.fromkeys(order, 0)
    for group in order:
        for edge in graph.get(group, ()):
            depth[edge.child] = max(depth[edge.child], depth[group] + 1)
    depth[ROOT] = 0
    return depth


def members(
    order: Sequence[str], children: Sequence[Edge], hosts: Sequence[Edge]
) -> dict[str, set[str]]:
    """Each group's hosts, its descendants' included."""
    held: dict[str, set[str]] = {g: set() for g in order}
    for edge in hosts:
        held[edge.parent].add(edge.child)
    graph = _adjacency(children)
    for group in reversed(order):
        for edge in graph.get(group, ()):
            held[group] |= held[edge.child]
    return held
