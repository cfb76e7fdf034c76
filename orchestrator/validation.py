"""Validate plain YAML data with a pydantic model and report Problems located in the file.

pydantic reports every error at once with a `loc` path; the SourceMap turns each path into
file:line:column. Messages say what was expected and what was found, with a "did you mean"
for misspelled keys and choices. Values of secret fields are never echoed.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from orchestrator.errors import Location, Problem
from orchestrator.yamlsource import NodePath, SourceMap, format_path

M = TypeVar("M", bound=BaseModel)


class _SecretMark:
    """Annotated metadata: the field holds a secret, so errors never echo its value."""

    def __repr__(self) -> str:
        return "SECRET_FIELD"


SECRET_FIELD = _SecretMark()
KEEP_WHEN_TEMPLATED = frozenset({"missing", "extra_forbidden", "template_forbidden"})


def is_template(value: object) -> bool:
    """True for text that jinja would render (holds `{{` or `{%`)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def suggest(word: str, choices: Iterable[str]) -> str:
    """`did you mean ...?` naming what `word` may have meant among `choices`, or "".

    The close choices (difflib, case aside: a host `WKS0001` for `wks0001`), and for a word
    ending in a number, the choices of the same stem and any number, shortened:
    `did you mean 'wks001' or another of wks002, wks003 ... wks012 (12 named wks*)?`. Of those
    numbered siblings, one is named on its own only when it is closer than the others.
    """
    names = list(dict.fromkeys(choices))
    family = _numbered_like(word, names)
    standout = _standout(word, family)
    close = [c for c in _closest(word, names) if c not in family or c == standout]
    options = [f"'{c}'" for c in close]
    rest = [f for f in family if f not in close]  # a name is offered once
    if len(rest) == 1:
        options.append(f"'{rest[0]}'")
    elif rest:
        which = "another of" if len(rest) < len(family) else "one of"
        stem = _stem(word, family)
        options.append(f"{which} {_listing(rest)} ({len(family)} named {stem}*)")
    return f"did you mean {_either(options)}?" if options else ""


def _closest(word: str, names: Sequence[str]) -> list[str]:
    """The closest name, compared without case, and up to two others about as close (a role
    `client` beside a group `clients`); the same name in another case alone when there is one."""
    by_lower: dict[str, list[str]] = {}
    for name in names:
        by_lower.setdefault(name.lower(), []).append(name)
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=3, cutoff=0.6)
    scores = [_ratio(word, lower) for lower in found]
    kept = [lower for lower, score in zip(found, scores, strict=True) if score >= scores[0] - 0.1]
    if kept and kept[0] == word.lower():
        kept = kept[:1]
    return [name for lower in kept for name in by_lower[lower]]


def _ratio(word: str, name: str) -> float:
    return difflib.SequenceMatcher(None, word.lower(), name.lower()).ratio()


_NUMBERED = re.compile(r"(.*\D)\d+")


def _numbered_like(word: str, names: Sequence[str]) -> list[str]:
    """The names made of `word`'s stem (case aside) and a number; [] for a word without one."""
    match = _NUMBERED.fullmatch(word)
    if match is None:
        return []
    sibling = re.compile(re.escape(match.group(1)) + r"\d+", re.IGNORECASE)
    return [name for name in names if sibling.fullmatch(name)]


def _standout(word: str, family: Sequence[str]) -> str | None:
    """The sibling strictly closer to `word` than every other one, if there is one."""
    scored = sorted(((_ratio(word, n), n) for n in family), reverse=True)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _stem(word: str, family: Sequence[str]) -> str:
    """The stem as the names spell it (`WKS` for `wks0001` among `WKS0001`...)."""
    match = _NUMBERED.fullmatch(word)
    length = len(match.group(1)) if match else 0
    return family[0][:length]


def _listing(names: Sequence[str]) -> str:
    """`a, b, c, d`, or for more than four `a, b ... z`."""
    if len(names) <= 4:
        return ", ".join(names)
    return f"{names[0]}, {names[1]} ... {names[-1]}"


def _either(options: Sequence[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    if len(options) == 1:
        return options[0]
    return f"{', '.join(options[:-1])} or {options[-1]}"


def validate(
    model: type[M],
    data: Any,
    source: SourceMap,
    base: NodePath = (),
    *,
    defer_templates: bool = False,
    extra_keys: Sequence[str] = (),
) -> tuple[M | None, list[Problem]]:
    """The model instance, or None and every problem found.

    defer_templates: ignore type errors on values that are still jinja templates; they are
        checked again once rendered.
    extra_keys: further valid names to suggest for unknown keys at the top level (module names).
    """
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors = [
            e
            for e in exc.errors()
            if not (
                defer_templates and is_template(e["input"]) and e["type"] not in KEEP_WHEN_TEMPLATED
            )
        ]
        problems = [_problem(model, e, source, base, extra_keys) for e in errors]
        return None, _drop_missing_explained_by_typos(problems)


def _drop_missing_explained_by_typos(problems: list[Problem]) -> list[Problem]:
    """`onn:` gives "unknown key 'onn' (did you mean 'on'?)"; "on is missing" adds nothing."""
    suggested = set()
    for problem in problems:
        match = re.match(r"did you mean '([^']+)'", problem.hint)
        if problem.message.startswith("unknown key") and match:
            parent = problem.field.rpartition(".")[0]
            suggested.add(f"{parent}.{match.group(1)}" if parent else match.group(1))
    return [
        p
        for p in problems
        if not (p.message == "required field is missing" and p.field in suggested)
    ]


def _problem(
    model: type[BaseModel],
    error: ErrorDetails,
    source: SourceMap,
    base: NodePath,
    extra_keys: Sequence[str],
) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    full = _data_path(source, (*base, *loc), keep_last=kind == "missing")
    if kind == "extra_forbidden":
        return _unknown_key(model, loc, full, source, extra_keys)
    if kind == "missing":
        location = source.value_at(full[:-1])
        return Problem(location, format_path(full), "required field is missing")
    location = source.value_at(full)
    secret = _is_secret(model, loc) or kind == "secret_literal"
    message = _message(error, secret)
    hint = ""
    if kind == "literal_error" and isinstance(error["input"], str):
        hint = suggest(
            error["input"], re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        )
    return Problem(location, format_path(full), message, hint)


def _data_path(source: SourceMap, loc: NodePath, *, keep_last: bool) -> NodePath:
    """Drop pydantic's union tags: keep the longest prefix that exists in the document."""
    probe = loc[:-1] if keep_last else loc
    for end in range(len(probe), -1, -1):
        if probe[:end] in source.values:
            kept = probe[:end]
            return (*kept, loc[-1]) if keep_last and loc else kept
    return loc


def _unknown_key(
    model: type[BaseModel],
    loc: NodePath,
    full: NodePath,
    source: SourceMap,
    extra_keys: Sequence[str],
) -> Problem:
    key = str(loc[-1])
    parent = _model_at(model, loc[:-1])
    known = list(parent.model_fields) if parent else []
    if len(loc) == 1:
        known += list(extra_keys)
    hint = suggest(key, known) or (f"expected one of: {', '.join(sorted(known))}" if known else "")
    return Problem(source.key_at(full), format_path(full), f"unknown key '{key}'", hint)


def _message(error: ErrorDetails, secret: bool) -> str:
    msg = error["msg"]
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = re.sub(r"^Input should be (greater|less)", r"expected a value \1", msg)
    msg = re.sub(r"^Input should be ", "expected ", msg)
    msg = re.sub(r"^Input ", "value ", msg)
    msg = msg.replace("a valid tuple", "a list").replace("a valid list", "a list")
    if secret:
        return f"{msg}; the value found is not shown (secret field)"
    found = error["input"]
    if "found" in msg or isinstance(found, dict) or (isinstance(found, str) and repr(found) in msg):
        return msg
    return f"{msg}; found {describe(error['input'])}"


_DESCRIPTIONS: tuple[tuple[type | tuple[type, ...], Any], ...] = (
    (type(None), lambda _v: "nothing (null)"),
    (bool, lambda v: f"the boolean {str(v).lower()}"),
    (str, lambda v: repr(v if len(v) <= 60 else v[:57] + "...")),
    ((int, float), lambda v: f"the number {v}"),
    (dict, lambda _v: "a mapping"),
    ((list, tuple), lambda _v: "a list"),
)


def describe(value: Any) -> str:
    """A short, safe description of a found value for an error message."""
    for kinds, render in _DESCRIPTIONS:
        if isinstance(value, kinds):
            return str(render(value))
    return f"a value of type {type(value).__name__}"


def _model_at(model: type[BaseModel], loc: NodePath) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` under `model`, if one does."""
    current: Any = model
    for elem in loc:
        current = _step_into(current, elem)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _is_secret(model: type[BaseModel], loc: NodePath) -> bool:
    if not loc:
        return False
    parent = _model_at(model, loc[:-1])
    field = parent.model_fields.get(str(loc[-1])) if parent else None
    if field is None:
        return False
    return any(m is SECRET_FIELD for m in field.metadata) or _marked(field.annotation)


def _marked(annotation: Any) -> bool:
    """True when SECRET_FIELD sits anywhere in the annotation (inside Optional, unions)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return any(m is SECRET_FIELD for m in args[1:]) or _marked(args[0])
    return any(_marked(a) for a in args)


def _step_into(current: Any, elem: str | int) -> Any:
    if isinstance(current, type) and issubclass(current, BaseModel):
        field = current.model_fields.get(str(elem))
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(current)
    args = typing.get_args(current)
    if isinstance(elem, int) and origin in (list, tuple) and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    return None


def _unwrap(annotation: Any) -> Any:
    """Optional[X], Annotated[X, ...] and X | None -> X (the first model in a union)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            annotation = (models or members)[0]
        else:
            return annotation


def location_of(source: SourceMap, path: NodePath) -> Location:
    """Shorthand used by callers that build their own problems."""
    return source.value_at(path)
