"""Safe YAML loading that remembers where every value came from.

PyYAML composes the node graph (which carries marks); we construct plain Python values from
it ourselves so that we can:
- keep file:line:column for every key and value (errors must point at the text);
- refuse duplicate keys (PyYAML silently keeps the last one);
- bound alias expansion (a billion-laughs document would otherwise eat the machine);
- resolve scalars by YAML 1.2's core schema: `on`, `yes`, `no` stay strings (in YAML 1.1
  `on:` is the boolean True; a playbook's old `on:` key gets a clear error) and
  dates stay strings (we parse them where a field expects one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from orchestrator.errors import InputError, Location, Problem
from orchestrator.inputfile import MAX_INPUT_BYTES, read_input_file

MAX_FILE_BYTES = MAX_INPUT_BYTES
MAX_NODES = 100_000  # values constructed after alias expansion
MAX_DEPTH = 64  # nesting levels; playbooks need a handful

PathElem = str | int
NodePath = tuple[PathElem, ...]

_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0o[0-7_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _CoreSchemaLoader(yaml.SafeLoader):
    """SafeLoader whose implicit typing follows YAML 1.2's core schema."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012 -- PyYAML's class-level registry


for _tag, _regex, _first in (
    ("null", _NULL, ["~", "n", "N", ""]),
    ("bool", _BOOL, list("tTfF")),
    ("int", _INT, list("-+0123456789")),
    ("float", _FLOAT, list("-+.0123456789")),
    ("merge", re.compile(r"^<<$"), ["<"]),
):
    _CoreSchemaLoader.add_implicit_resolver(_TAG + _tag, _regex, _first)


def format_path(path: NodePath) -> str:
    """`("steps", 2, "local_user")` -> `steps[2].local_user`."""
    out = ""
    for elem in path:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            out += f".{elem}" if out else str(elem)
    return out


@dataclass(frozen=True)
class SourceMap:
    """Locations of every value (and every mapping key) of one document, by path."""

    file: str
    values: Mapping[NodePath, Location] = field(default_factory=dict)
    keys: Mapping[NodePath, Location] = field(default_factory=dict)

    def value_at(self, path: NodePath) -> Location:
        """The location of the value at `path`, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            loc = self.values.get(path[:end])
            if loc is not None:
                return loc
        return Location(self.file)

    def key_at(self, path: NodePath) -> Location:
        """The location of the key that introduces `path` (falls back to the value)."""
        return self.keys.get(path) or self.value_at(path)


@dataclass(frozen=True)
class YamlDocument:
    """Plain data (dicts, lists, scalars) and where each piece of it was written."""

    data: Any
    source: SourceMap


def load_file(path: FsPath, *, what: str = "file") -> YamlDocument:
    """Read and parse one YAML file: a regular file of at most MAX_FILE_BYTES."""
    name = str(path)
    try:
        raw = read_input_file(path, what=what, cap=MAX_FILE_BYTES)
    except FileNotFoundError:
        raise InputError.single(f"{what} not found", location=Location(name)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            f"{what} is not UTF-8 text (byte {exc.start})", location=Location(name)
        ) from None
    return load_text(text, name)


def load_text(text: str, name: str) -> YamlDocument:
    """Parse YAML text holding exactly one document."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise InputError.single(
            f"text is larger than {MAX_FILE_BYTES} bytes", location=Location(name)
        )
    root = _compose(text, name)
    if root is None:
        raise InputError.single("the document is empty", location=Location(name, 1, 1))
    builder = _Builder(name)
    data = builder.build(root, (), 0)
    return YamlDocument(data, SourceMap(name, builder.values, builder.keys))


def _compose(text: str, name: str) -> Node | None:
    try:
        loader = _CoreSchemaLoader(text)  # the reader already refuses control characters
    except yaml.reader.ReaderError as exc:
        raise InputError.single(
            f"not valid YAML: {exc.reason} (character #x{exc.character:04x})",
            location=Location(name),
        ) from None
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, name) from None
    except yaml.YAMLError as exc:
        raise InputError.single(f"not valid YAML: {exc}", location=Location(name)) from None
    except RecursionError:
        raise InputError.single(
            "the document is nested too deeply to read", location=Location(name)
        ) from None
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, name: str) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    loc = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
    if "expected a single document" in (exc.context or ""):
        return InputError.single(
            "expected a single YAML document, found another one",
            location=loc,
            hint="remove the second '---' and what follows, or split the file",
        )
    context = f" ({exc.context})" if exc.context else ""
    return InputError.single(f"YAML syntax error: {exc.problem}{context}", location=loc)


def _loc(name: str, node: Node) -> Location:
    return Location(name, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node graph into plain values, recording locations."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[NodePath, Location] = {}
        self.keys: dict[NodePath, Location] = {}
        self.count = 0
        self.active: set[int] = set()  # node ids on the current path: alias cycles

    def fail(self, node: Node, message: str, hint: str = "") -> InputError:
        return InputError([Problem(_loc(self.name, node), "", message, hint)])

    def build(self, node: Node, path: NodePath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                node,
                f"the document expands to more than {MAX_NODES} values through aliases",
                "refusing to load it; use fewer or smaller anchors",
            )
        if depth > MAX_DEPTH:
            raise self.fail(node, f"values are nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.active:
            raise self.fail(node, "an alias refers to a node that contains it")
        self.values.setdefault(path, _loc(self.name, node))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self.sequence(node, path, depth)
            if isinstance(node, MappingNode):
                return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        raise self.fail(node, f"unsupported YAML node {type(node).__name__}")

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if not tag.startswith(_TAG):
            raise self.fail(node, f"unsupported YAML tag {tag!r}", "remove the tag")
        kind = tag[len(_TAG) :]
        convert = _SCALARS.get(kind)
        if convert is None:
            raise self.fail(node, f"unsupported YAML tag '!!{kind}'", "remove the tag")
        try:
            return convert(node.value)
        except ValueError:
            raise self.fail(node, f"{node.value!r} is not a valid {kind}") from None

    def sequence(self, node: SequenceNode, path: NodePath, depth: int) -> list[Any]:
        if node.tag != _TAG + "seq":
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}", "remove the tag")
        return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: NodePath, depth: int) -> dict[Any, Any]:
        if node.tag != _TAG + "map":
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}", "remove the tag")
        result: dict[Any, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merges.append(value_node)
                continue
            key = self.key(key_node)
            if key in result:
                first = self.keys[(*path, key)]
                raise self.fail(
                    key_node,
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    "remove one of them",
                )
            self.keys.setdefault((*path, key), _loc(self.name, key_node))
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for merged in merges:
            self.merge_into(result, merged, path, depth)
        return result

    def key(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, "a mapping key must be a plain value, not a list or mapping")
        self.count += 1
        return self.scalar(node)

    def merge_into(self, result: dict[Any, Any], node: Node, path: NodePath, depth: int) -> None:
        """YAML merge key `<<`: explicit keys win over merged ones."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self.fail(source, "'<<' (merge) expects a mapping or a list of mappings")
            merged = self.mapping(source, path, depth)
            for key, value in merged.items():
                result.setdefault(key, value)


def _to_bool(text: str) -> bool:
    return text.lower() == "true"


def _to_int(text: str) -> int:
    return int(text.replace("_", ""), 0) if text[:2] in ("0x", "0o") else int(text.replace("_", ""))


def _to_float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".nan"):
        return math.nan
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    return float(text.replace("_", ""))


def _to_null(_text: str) -> None:
    return None


_SCALARS: dict[str, Any] = {
    "str": str,
    "null": _to_null,
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
}


def walk(data: Any, path: NodePath = ()) -> Iterator[tuple[NodePath, Any]]:
    """Every (path, value) pair of plain data, depth first, parents before children."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*path, index))
