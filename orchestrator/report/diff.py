"""Before/after as a reviewer reads a change: only what differs, in the style of Terraform's plan.

    ~ enabled: false -> true
    + members: "S-1-5-21-*-501" (Guest)
    - members: "CONTOSO\\alice"
    (5 unchanged fields hidden)

Rules (docs/reports.md, "Changes"): a field in both with another value is `~ old -> new`; a
mapping inside is compared field by field (`trigger.at`); a list by its items (each removed
one `-`, each added one `+`; the same items reordered: `~ old -> new`). A field only after is
added (`+`). A field only before is removed (`-`) when after says the object is gone
(`exists: false`); otherwise after does not speak of it (a process run, a wait): it is
hidden with the unchanged ones. No after at all (a read, a check): nothing is shown. The
JSON report keeps both mappings whole.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.report.sids import sid_name
from orchestrator.report.view import when
from orchestrator.secrets import REDACTED, Secret

CHANGED, ADDED, REMOVED = "~", "+", "-"


@dataclass(frozen=True)
class Change:
    """One line of a diff: its marker, the field's path, and the value or `old -> new`."""

    marker: str
    path: str
    text: str

    def __str__(self) -> str:
        return f"{self.marker} {self.path}: {self.text}"


@dataclass
class _Walk:
    found: list[Change] = field(default_factory=list)
    hidden: int = 0

    def mapping(
        self, old: Mapping[Any, Any], new: Mapping[Any, Any], prefix: str, *, gone: bool
    ) -> None:
        for key in sorted({*old, *new}, key=str):
            path = f"{prefix}{key}"
            if key not in new:
                if gone:
                    self.found.append(Change(REMOVED, path, value_text(old[key])))
                else:
                    self.hidden += 1
            elif key not in old:
                self.found.append(Change(ADDED, path, value_text(new[key])))
            else:
                self.value(old[key], new[key], path)

    def value(self, old: Any, new: Any, path: str) -> None:
        if _same(old, new):
            self.hidden += 1
        elif isinstance(old, Mapping) and isinstance(new, Mapping):
            self.mapping(old, new, f"{path}.", gone=True)  # a whole value: what is missing went
        elif _is_list(old) and _is_list(new):
            self.items(list(old), list(new), path)
        else:
            self.found.append(Change(CHANGED, path, f"{value_text(old)} -> {value_text(new)}"))

    def items(self, old: list[Any], new: list[Any], path: str) -> None:
        removed, added = _minus(old, new), _minus(new, old)
        if not removed and not added:  # the same items in another order
            self.found.append(Change(CHANGED, path, f"{value_text(old)} -> {value_text(new)}"))
            return
        self.found += [Change(REMOVED, path, value_text(v)) for v in removed]
        self.found += [Change(ADDED, path, value_text(v)) for v in added]


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[list[Change], int]:
    """What differs between before and after, and how many unchanged fields are hidden."""
    if not after:
        return [], 0
    walk = _Walk()
    walk.mapping(before, after, "", gone=after.get("exists") is False)
    return walk.found, walk.hidden


def change_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The diff as lines, the count of hidden unchanged fields last; [] when nothing to show."""
    found, hidden = changes(before, after)
    lines = [str(c) for c in found]
    if hidden and found:
        lines.append(f"({hidden} unchanged field{'' if hidden == 1 else 's'} hidden)")
    return lines


def value_text(value: Any) -> str:
    """A value on one line: strings quoted (a well-known SID named after it), null, true,
    datetimes for people (UTC), containers compact; a Secret as `********`."""
    if isinstance(value, Mapping):
        pairs = (f"{k}: {value_text(v)}" for k, v in sorted(value.items(), key=lambda i: str(i[0])))
        return "{" + ", ".join(pairs) + "}"
    if _is_list(value):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "[" + ", ".join(value_text(v) for v in items) + "]"
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, Secret):
        return REDACTED
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, datetime):
        return when(value)
    name = sid_name(value) if isinstance(value, str) else None
    return _quoted(str(value)) + (f" ({name})" if name else "")


def _quoted(text: str) -> str:
    """In double quotes on one line; backslashes stay as written (`CONTOSO\\user`)."""
    for raw, escaped in (('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        text = text.replace(raw, escaped)
    return f'"{text}"'


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _key(value: Any) -> str:
    """A canonical text of a value, to compare and count items (never shown: Secrets too)."""
    if isinstance(value, Secret):
        return f"secret:{id(value)}"
    return json.dumps(value, sort_keys=True, default=repr)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Secret) or isinstance(new, Secret):
        return old is new
    return _key(old) == _key(new)


def _minus(items: Iterable[Any], other: Iterable[Any]) -> list[Any]:
    """The items not in `other`, counting repeats (a multiset difference)."""
    left = Counter(_key(v) for v in other)
    result = []
    for item in items:
        key = _key(item)
        if left[key]:
            left[key] -= 1
        else:
            result.append(item)
    return result
