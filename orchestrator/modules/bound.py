"""An expression as a reviewer reads it: its names written as the values they are bound to.

`until: aware_ratio >= min_checked_in_ratio` reads `aware_ratio >= 0.98` in a summary, and
what the probe read is said beside it (`probed: aware_ratio = 0.0`). Only a name bound to a
plain value (a number, a boolean, none, a short one-line string) is written as that value. A
name bound to a Secret stays the name: a summary is shown and journaled, and a secret is never
written into one. So do names bound to anything else (mappings, lists, the `secrets`
namespace), attribute, filter and test names, and the probe's own values (what is waited on).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from orchestrator.secrets import Secret
from orchestrator.templating import Templar

_LEXER = Templar().env  # lexes only: nothing is rendered or evaluated here
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "true", "false", "none"})
_LONGEST = 60  # a longer string stays its name: a summary is one line
_NOT_A_VARIABLE_AFTER = (("operator", "."), ("operator", "|"), ("name", "is"))
_NOT_A_VARIABLE_BEFORE = (("operator", "="), ("operator", "("), ("name", "is"))


def bound(expression: str, variables: Mapping[str, Any]) -> str:
    """The expression with each variable bound to a plain value written as that value."""
    tokens = _tokens(expression)
    if tokens is None:
        return expression
    shown = [value for _, value in tokens]
    for index in _variables(tokens):
        literal = _literal(variables.get(tokens[index][1], _MISSING))
        if literal is not None:
            shown[index] = literal
    return "".join(shown)


def probed(expression: str, values: Mapping[str, Any]) -> str:
    """`aware_ratio = 0.0, broken = 5 items`: the probe's values the expression reads."""
    tokens = _tokens(expression) or []
    names = dict.fromkeys(tokens[i][1] for i in _variables(tokens) if tokens[i][1] in values)
    parts = [_probed(name, values[name]) for name in names]
    return ", ".join(p for p in parts if p)


_MISSING = object()


def _tokens(expression: str) -> list[tuple[str, str]] | None:
    """(type, text) of each token of the expression, whitespace kept; None when it does not
    lex (it was checked at load time, so this is only a guard)."""
    try:
        lexed = [(kind, text) for _, kind, text in _LEXER.lex("{{ " + expression + " }}")]
    except Exception:  # noqa: BLE001 -- a summary falls back to the text as written
        return None
    return lexed[2:-2]  # without `{{ ` and ` }}`


def _variables(tokens: list[tuple[str, str]]) -> Iterator[int]:
    """Indexes of the name tokens that read a variable (not an attribute, filter, test,
    keyword argument, function or keyword)."""
    significant = [i for i, (kind, _) in enumerate(tokens) if kind != "whitespace"]
    for position, index in enumerate(significant):
        kind, text = tokens[index]
        if kind != "name" or text in _KEYWORDS:
            continue
        before = tokens[significant[position - 1]] if position else None
        after = tokens[significant[position + 1]] if position + 1 < len(significant) else None
        if before in _NOT_A_VARIABLE_AFTER or after in _NOT_A_VARIABLE_BEFORE:
            continue
        yield index


def _literal(value: Any) -> str | None:
    """The value as an expression literal, or None when it is to stay a name."""
    if value is _MISSING or isinstance(value, Secret):
        return None
    if value is None or isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str) and len(value) <= _LONGEST and "\n" not in value:
        return "'" + value.replace("'", "\\'") + "'"  # `CONTOSO\\name` reads as written
    return None


def _probed(name: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return f"{name} = {len(value)} item{'' if len(value) == 1 else 's'}"
    literal = _literal(value)
    return f"{name} = {literal}" if literal is not None else ""
