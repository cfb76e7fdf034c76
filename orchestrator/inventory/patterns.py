"""Host patterns: one grammar for `--limit` and for a playbook step's `hosts:`.

    pattern := term (sep term)*            sep := ',' | ':'   (blanks around terms ignored)
    term    := [op] atom [pick]            op  := '!' exclude | '&' intersect
    atom    := name | glob
    name    := [A-Za-z0-9_.-]+             a role, a group or a host
    glob    := name characters with * ? [...] (fnmatch, case-sensitive, on host names only)
    pick    := '[' N ']' | '[' [A] ':' [B] ']'   integers; negative counts from the end

Brackets: a trailing `[...]` holding an integer or an integer range (`[0]`, `[-1]`, `[0:2]`,
`[1:]`, `[:2]`) picks hosts by position; any other `[...]` is a glob character class
(`wks[0-9]*`). So `wks[0-9]*[0]` is the first host matching `wks[0-9]*`, and a glob that
ends in a one-character class is written as a range (`wks00[1-1]`, not `wks00[1]`). A `:`
inside brackets is a range, never a separator. Ansible's old `[0-2]` range form is not
accepted: it collides with glob ranges; write `[0:2]`.

Positions count in inventory (file) order among the term's own matches. A range includes
both ends, as Ansible's implementation does: `[0:2]` is the first three hosts. An index past
the end picks nothing.

A bare name means, in this order: a role, else a group, else a host. (The loader refuses a
group or host named like a role and a group and a host sharing a name, so a name never has
two meanings in a loaded inventory; the order is the rule for tools that build names.)

Combination, as Ansible's: the union of the plain terms (every host when there is none),
intersected with each `&` term, minus each `!` term, whatever order they are written in.
`select` returns hosts in inventory order without duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from fnmatch import fnmatchcase
from pathlib import Path
from typing import NamedTuple

from orchestrator.errors import InputError, Location, Problem
from orchestrator.inventory.limitfile import LimitLine, read_limit_file
from orchestrator.inventory.model import Host, Inventory, Role
from orchestrator.validation import suggest

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_GLOB_CHARS = re.compile(r"[^A-Za-z0-9_.\-*?\[\]!^]")
_PICK = re.compile(r"^(?P<atom>.+)\[(?:(?P<index>-?\d+)|(?P<start>-?\d+)?:(?P<end>-?\d+)?)\]$")
ROLE_NAMES = frozenset(r.value for r in Role)


class PatternSyntaxError(ValueError):
    """A host pattern that does not parse; `column` is 1-based in the pattern text."""

    def __init__(self, text: str, reason: str, column: int) -> None:
        super().__init__(f"bad host pattern {text!r}: {reason} (column {column})")
        self.reason = reason
        self.column = column


class Op(Enum):
    """How a term combines with the others."""

    UNION = ""
    INTERSECT = "&"
    EXCLUDE = "!"


@dataclass(frozen=True)
class Index:
    """`[N]`: the host at position N (negative: from the end)."""

    position: int

    def apply(self, hosts: tuple[Host, ...]) -> tuple[Host, ...]:
        """The picked host, or nothing when N is out of range."""
        n = len(hosts)
        return (hosts[self.position],) if -n <= self.position < n else ()

    def __str__(self) -> str:
        return f"[{self.position}]"


@dataclass(frozen=True)
class Range:
    """`[A:B]`: hosts A through B, both included (either end may be left out)."""

    start: int | None
    end: int | None

    def apply(self, hosts: tuple[Host, ...]) -> tuple[Host, ...]:
        """The hosts in the range, clamped to what exists."""
        n = len(hosts)
        start = _absolute(self.start, n, 0)
        end = _absolute(self.end, n, n - 1)
        return hosts[max(start, 0) : end + 1] if end >= 0 else ()

    def __str__(self) -> str:
        start = "" if self.start is None else self.start
        end = "" if self.end is None else self.end
        return f"[{start}:{end}]"


def _absolute(position: int | None, n: int, default: int) -> int:
    if position is None:
        return default
    return position + n if position < 0 else position


@dataclass(frozen=True)
class Term:
    """One term: its operator, name or glob, optional pick, and column in the pattern."""

    op: Op
    atom: str
    glob: bool = False
    pick: Index | Range | None = None
    column: int = 1

    def __str__(self) -> str:
        return f"{self.op.value}{self.atom}{self.pick or ''}"


@dataclass(frozen=True)
class HostPattern:
    """A parsed pattern: the text as written and its terms."""

    text: str
    terms: tuple[Term, ...]

    def __str__(self) -> str:
        return self.text


class UnknownName(NamedTuple):
    """A name in a pattern that is no role, group or host, and a "did you mean" hint."""

    name: str
    hint: str


# --- parsing -------------------------------------------------------------------------------


def parse_pattern(text: str) -> HostPattern:
    """Parse a host pattern; raises PatternSyntaxError (a ValueError) saying what is wrong."""
    if not text.strip():
        raise PatternSyntaxError(text, "a host pattern cannot be empty", 1)
    terms = tuple(_term(text, raw, offset) for raw, offset in _split(text))
    return HostPattern(text, terms)


def _split(text: str) -> list[tuple[str, int]]:
    """Cut at `,` and `:` outside brackets: (raw term, offset of its first character)."""
    parts: list[tuple[str, int]] = []
    start, bracket = 0, -1
    for i, char in enumerate(text):
        if char == "[":
            if bracket >= 0:
                raise PatternSyntaxError(text, "'[' inside '[...]'", i + 1)
            bracket = i
        elif char == "]":
            if bracket < 0:
                raise PatternSyntaxError(text, "']' without '['", i + 1)
            bracket = -1
        elif char in ",:" and bracket < 0:
            parts.append((text[start:i], start))
            start = i + 1
    if bracket >= 0:
        raise PatternSyntaxError(text, "'[' is never closed", bracket + 1)
    parts.append((text[start:], start))
    return parts


def _term(text: str, raw: str, offset: int) -> Term:
    column = offset + len(raw) - len(raw.lstrip()) + 1
    body = raw.strip()
    if not body:
        raise PatternSyntaxError(text, "empty term (two separators in a row?)", column)
    op = Op(body[0]) if body[0] in "!&" else Op.UNION
    if op is not Op.UNION:
        body = body[1:]
    _refuse_special(text, body, column)
    atom, pick = _split_pick(body)
    glob = any(c in atom for c in "*?[")
    _check_atom(text, atom, glob, column + len(op.value))
    return Term(op, atom, glob, pick, column)


def _refuse_special(text: str, body: str, column: int) -> None:
    reasons = {
        "": "an operator needs a name after it",
        "@": "'@file' is only accepted as the whole --limit value",
        "~": "regular expressions are not supported; use a glob such as 'wks*'",
        "!": "'!' must be followed by a name",
        "&": "'&' must be followed by a name",
    }
    reason = reasons.get(body[:1])
    if reason is not None:
        raise PatternSyntaxError(text, reason, column)


def _split_pick(body: str) -> tuple[str, Index | Range | None]:
    match = _PICK.match(body)
    if match is None:
        return body, None
    if match["index"] is not None:
        return match["atom"], Index(int(match["index"]))
    return match["atom"], Range(_int_or_none(match["start"]), _int_or_none(match["end"]))


def _int_or_none(text: str | None) -> int | None:
    return None if text is None else int(text)


def _check_atom(text: str, atom: str, glob: bool, column: int) -> None:
    bad = _GLOB_CHARS.search(atom) if glob else None
    if not glob and not _NAME.match(atom):
        bad = re.search(r"[^A-Za-z0-9_.-]", atom)
    if bad is not None:
        where = column + bad.start()
        raise PatternSyntaxError(text, f"unexpected {bad.group()!r} in {atom!r}", where)
    if "[]" in atom:
        raise PatternSyntaxError(text, f"empty '[]' in {atom!r}", column + atom.index("[]"))


# --- selection (pure) ----------------------------------------------------------------------


def select(inventory: Inventory, pattern: HostPattern) -> tuple[Host, ...]:
    """The hosts the pattern selects, in inventory order, each once."""
    chosen = {h.name for h in _union(inventory, pattern.terms)}
    for term in pattern.terms:
        if term.op is Op.INTERSECT:
            chosen &= {h.name for h in matches(inventory, term)}
    for term in pattern.terms:
        if term.op is Op.EXCLUDE:
            chosen -= {h.name for h in matches(inventory, term)}
    return tuple(h for h in inventory.hosts if h.name in chosen)


def _union(inventory: Inventory, terms: Sequence[Term]) -> tuple[Host, ...]:
    plain = [t for t in terms if t.op is Op.UNION]
    if not plain:
        return inventory.hosts
    return tuple(h for t in plain for h in matches(inventory, t))


def matches(inventory: Inventory, term: Term) -> tuple[Host, ...]:
    """The hosts one term matches (its operator aside), in inventory order, after its pick."""
    hosts = _candidates(inventory, term)
    return term.pick.apply(hosts) if term.pick else hosts


def _candidates(inventory: Inventory, term: Term) -> tuple[Host, ...]:
    if term.glob:
        return tuple(h for h in inventory.hosts if fnmatchcase(h.name, term.atom))
    for meaning in _MEANINGS:
        wanted = meaning(inventory, term.atom)
        if wanted is not None:
            return tuple(h for h in inventory.hosts if wanted(h))
    return ()


HostTest = Callable[[Host], bool]


def _as_role(_inventory: Inventory, name: str) -> HostTest | None:
    if name not in ROLE_NAMES:
        return None
    role = Role(name)
    return lambda h: role in h.roles


def _as_group(inventory: Inventory, name: str) -> HostTest | None:
    group = inventory.groups.get(name)
    if group is None:
        return None
    members = frozenset(group.hosts)
    return lambda h: h.name in members


def _as_host(_inventory: Inventory, name: str) -> HostTest | None:
    return lambda h: h.name == name


# The order a bare name is resolved in: role, then group, then host.
_MEANINGS: tuple[Callable[[Inventory, str], HostTest | None], ...] = (
    _as_role,
    _as_group,
    _as_host,
)


def known_names(inventory: Inventory) -> list[str]:
    """Every name a pattern may use: roles, groups (with `all`) and hosts."""
    return [*sorted(ROLE_NAMES), *inventory.groups, *(h.name for h in inventory.hosts)]


def unknown_names(inventory: Inventory, pattern: HostPattern) -> list[UnknownName]:
    """Names (not globs) that are no role, group or host, each with a "did you mean" hint."""
    known = known_names(inventory)
    unknown = dict.fromkeys(t.atom for t in pattern.terms if not t.glob and t.atom not in known)
    return [UnknownName(name, name_hint(inventory, name, known)) for name in unknown]


def name_hint(inventory: Inventory, name: str, known: Sequence[str]) -> str:
    """What an unknown name may have meant; with nothing close, where to see every name."""
    return suggest(name, known) or (
        f"`orchestrator inventory list -i {inventory.path}` lists its hosts, roles and groups"
    )


# --- --limit -------------------------------------------------------------------------------


def apply_limit(inventory: Inventory, limit_text: str, base_dir: Path) -> Inventory:
    """The inventory restricted to the hosts `--limit` selects (`@file`: one pattern a line).

    Every mistake is reported at once: bad syntax, a name that is no role, group or host
    (also after `!`: a misspelt exclusion would otherwise exclude nothing), a term without
    `!` that matches no host, and a limit that selects nothing.
    """
    lines = _limit_lines(limit_text, base_dir)
    located, problems = _parse_lines(lines)
    problems += _limit_term_problems(inventory, located)
    if problems:
        raise InputError(problems)
    pattern = HostPattern(limit_text, tuple(term for term, _ in located))
    chosen = select(inventory, pattern)
    if not chosen:
        where = lines[0].location if limit_text.startswith("@") else None
        raise InputError.single(
            f"the limit {limit_text!r} selects no host",
            location=where,
            field="--limit",
            hint="list what it selects: orchestrator inventory list -i FILE --limit PATTERN",
        )
    return inventory.restricted_to(h.name for h in chosen)


def _limit_lines(limit_text: str, base_dir: Path) -> list[LimitLine]:
    if limit_text.startswith("@"):
        return read_limit_file(base_dir / limit_text[1:])
    return [LimitLine(limit_text, None)]


def _parse_lines(
    lines: Sequence[LimitLine],
) -> tuple[list[tuple[Term, Location | None]], list[Problem]]:
    located: list[tuple[Term, Location | None]] = []
    problems: list[Problem] = []
    for line in lines:
        try:
            pattern = parse_pattern(line.text)
        except PatternSyntaxError as exc:
            problems.append(Problem(line.at(exc.column), "--limit", str(exc)))
            continue
        located += [(t, line.at(t.column)) for t in pattern.terms]
    return located, problems


def _limit_term_problems(
    inventory: Inventory, located: Sequence[tuple[Term, Location | None]]
) -> list[Problem]:
    known = known_names(inventory)
    problems: list[Problem] = []
    for term, where in located:
        if not term.glob and term.atom not in known:
            problems.append(
                Problem(
                    where,
                    "--limit",
                    f"{term.atom!r} is no role, group or host of this inventory",
                    name_hint(inventory, term.atom, known),
                )
            )
        elif term.op is not Op.EXCLUDE and not matches(inventory, term):
            problems.append(Problem(where, "--limit", _no_match(inventory, term)))
    return problems


def _no_match(inventory: Inventory, term: Term) -> str:
    if term.pick is not None:
        found = len(_candidates(inventory, term))
        return f"{term} matches no host: {term.atom!r} has {found} host(s)"
    if term.glob:
        return f"no host name matches the glob {term.atom!r}"
    return f"{term.atom!r} matches no host"
