"""Host patterns: the grammar, selection over the TB1 example, and `--limit`."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.errors import InputError, Location
from orchestrator.inventory import (
    HostPattern,
    Inventory,
    PatternSyntaxError,
    UnknownName,
    apply_limit,
    load_inventory,
    parse_pattern,
    select,
    unknown_names,
)
from orchestrator.inventory.patterns import Index, Op, Range
from tests.inventory.helpers import EXAMPLE, only

INVENTORY = load_inventory(EXAMPLE)
ALL = ["dc1", "dc2", "cap1", "site1", "wks001", "wks002", "wks003", "wks004"]


def names(pattern: str, inventory: Inventory = INVENTORY) -> list[str]:
    """The names of the hosts a pattern selects."""
    return [h.name for h in select(inventory, parse_pattern(pattern))]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("domain_controller", ["dc1", "dc2"]),
        ("caps", ["dc1", "cap1"]),
        ("site1", ["site1"]),
        ("all", ALL),
        ("wks*", ["wks001", "wks002", "wks003", "wks004"]),
        ("wks00[13]*", ["wks001", "wks003"]),
        ("wks00[!13]", ["wks002", "wks004"]),
        ("wks00[2-3]", ["wks002", "wks003"]),
        ("?c?", ["dc1", "dc2"]),
        ("*", ALL),
    ],
)
def test_a_term_is_a_role_group_host_or_glob(pattern: str, expected: list[str]) -> None:
    """A bare role, group or host name, or a glob on host names, selects its hosts."""
    assert names(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("cap_server:!domain_controller", ["cap1"]),
        ("cap_server,!domain_controller", ["cap1"]),
        ("!domain_controller:cap_server", ["cap1"]),
        ("cap_server:&domain_controller", ["dc1"]),
        ("&domain_controller,cap_server", ["dc1"]),
        ("!client", ["dc1", "dc2", "cap1", "site1"]),
        ("&caps", ["dc1", "cap1"]),
        ("site_server:logon_point", ["site1"]),
        ("wks004,dc1", ["dc1", "wks004"]),
        ("caps, cap_server , cap1", ["dc1", "cap1"]),
        ("client:!wks00[1-2]:!wks004", ["wks003"]),
    ],
)
def test_terms_combine_as_union_then_intersection_then_exclusion(
    pattern: str, expected: list[str]
) -> None:
    """`,` and `:` separate terms; `&` intersects, `!` excludes, whatever their order."""
    assert names(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("domain_controller[0]", ["dc1"]),
        ("domain_controller[-1]", ["dc2"]),
        ("client[0:2]", ["wks001", "wks002", "wks003"]),
        ("client[1:]", ["wks002", "wks003", "wks004"]),
        ("client[:1]", ["wks001", "wks002"]),
        ("client[-2:]", ["wks003", "wks004"]),
        ("client[2:1]", []),
        ("domain_controller[5]", []),
        ("domain_controller[-3]", []),
        ("wks[0-9]*[0]", ["wks001"]),
        ("wks*[-1]", ["wks004"]),
        ("cap_server[1],domain_controller[0]", ["dc1", "cap1"]),
        ("client:!client[0]", ["wks002", "wks003", "wks004"]),
    ],
)
def test_a_pick_takes_hosts_by_position_among_the_terms_matches(
    pattern: str, expected: list[str]
) -> None:
    """`[N]`, `[-1]` and `[A:B]` (both ends included) pick in inventory order."""
    assert names(pattern) == expected


def test_brackets_are_a_pick_only_when_they_hold_integers() -> None:
    """A trailing `[integer]` or `[A:B]` is a pick; any other brackets are a glob class."""
    assert parse_pattern("wks[0]").terms[0].pick == Index(0)
    assert parse_pattern("wks[0:2]").terms[0].pick == Range(0, 2)
    glob = parse_pattern("wks[0-9]*").terms[0]
    assert (glob.atom, glob.glob, glob.pick) == ("wks[0-9]*", True, None)
    both = parse_pattern("wks00[13]*[-1]").terms[0]
    assert (both.atom, both.glob, both.pick) == ("wks00[13]*", True, Index(-1))
    trailing = parse_pattern("wks00[13]").terms[0]
    assert (trailing.atom, trailing.glob, trailing.pick) == ("wks00", False, Index(13))


def test_parsed_terms_keep_operator_and_column() -> None:
    """Each term records its operator and the column it starts at."""
    terms = parse_pattern("cap_server, !dc1:&caps").terms
    assert [(t.op, t.atom, t.column) for t in terms] == [
        (Op.UNION, "cap_server", 1),
        (Op.EXCLUDE, "dc1", 13),
        (Op.INTERSECT, "caps", 18),
    ]
    assert [str(t) for t in terms] == ["cap_server", "!dc1", "&caps"]


@pytest.mark.parametrize(
    ("pattern", "reason", "column"),
    [
        ("", "cannot be empty", 1),
        ("   ", "cannot be empty", 1),
        ("dc1,,dc2", "empty term", 5),
        ("dc1:", "empty term", 5),
        ("wks[0", "'[' is never closed", 4),
        ("wks0]", "']' without '['", 5),
        ("wks[[0]]", "'[' inside '[...]'", 5),
        ("!", "an operator needs a name", 1),
        ("!&dc1", "'&' must be followed by a name", 1),
        ("@hosts.txt", "'@file' is only accepted", 1),
        ("~dc.*", "regular expressions are not supported", 1),
        ("dc 1", "unexpected ' '", 3),
        ("dc1;dc2", "unexpected ';'", 4),
        ("wks[]", "empty '[]'", 4),
        ("x[-:]", "unexpected ':'", 4),
    ],
)
def test_bad_syntax_is_a_value_error_with_reason_and_column(
    pattern: str, reason: str, column: int
) -> None:
    """A pattern that does not parse raises a ValueError saying why and where."""
    with pytest.raises(ValueError, match="bad host pattern") as caught:
        parse_pattern(pattern)
    assert isinstance(caught.value, PatternSyntaxError)
    assert reason in caught.value.reason
    assert caught.value.column == column


@given(st.text(max_size=40))
def test_parse_pattern_raises_nothing_but_value_error(text: str) -> None:
    """Any text either parses into at least one term or raises PatternSyntaxError."""
    outcome: HostPattern | PatternSyntaxError
    try:
        outcome = parse_pattern(text)
    except PatternSyntaxError as exc:
        outcome = exc
    if isinstance(outcome, PatternSyntaxError):
        assert 1 <= outcome.column <= len(text) + 1
    else:
        assert outcome.terms
        assert outcome.text == text


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "!", "&"]),
            st.sampled_from([*ALL, "caps", "client", "domain_controller", "wks*", "all", "x"]),
            st.sampled_from(["", "[0]", "[-1]", "[1:2]", "[:0]"]),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([",", ":"]),
)
def test_selection_is_in_inventory_order_without_duplicates(
    terms: list[tuple[str, str, str]], separator: str
) -> None:
    """Whatever the pattern, hosts come out once each, in inventory order."""
    text = separator.join("".join(term) for term in terms)
    chosen = names(text)
    assert chosen == [n for n in ALL if n in chosen]


DC11 = "did you mean 'dc1' or 'dc2'?"
LIST_THEM = f"`orchestrator inventory list -i {EXAMPLE}` lists its hosts, roles and groups"


def test_unknown_names_are_listed_with_suggestions() -> None:
    """Names that are no role, group or host are reported once each with did-you-mean (the
    closest name, and the hosts named like it with a number), or, with nothing close, the
    command that lists every name."""
    pattern = parse_pattern("dc11,wks9*,caps,!cap_sever,dc11,zzzz")
    assert unknown_names(INVENTORY, pattern) == [
        UnknownName("dc11", DC11),
        UnknownName("cap_sever", "did you mean 'cap_server'?"),
        UnknownName("zzzz", LIST_THEM),
    ]


# --- --limit -------------------------------------------------------------------------------


def test_limit_restricts_hosts_and_groups() -> None:
    """A limit keeps only the selected hosts, in the inventory and in every group."""
    limited = apply_limit(INVENTORY, "cap_server:!dc1", Path())
    assert [h.name for h in limited.hosts] == ["cap1"]
    assert limited.groups["caps"].hosts == ("cap1",)
    assert limited.groups["domain_controllers"].hosts == ()
    assert limited.credentials == INVENTORY.credentials


def test_limit_from_file_with_comments(tmp_path: Path) -> None:
    """`@file` reads one pattern a line; blank lines and `#` comments are ignored."""
    (tmp_path / "retry.txt").write_text(
        "# hosts that failed last time\n\ndc2\nwks00[3-4]  # the slow ones\n", encoding="utf-8"
    )
    limited = apply_limit(INVENTORY, "@retry.txt", tmp_path)
    assert [h.name for h in limited.hosts] == ["dc2", "wks003", "wks004"]


def test_limit_file_missing_is_an_input_error(tmp_path: Path) -> None:
    """A missing `@file` is an InputError naming the file."""
    with pytest.raises(InputError) as caught:
        apply_limit(INVENTORY, "@nope.txt", tmp_path)
    problem = only(list(caught.value.problems))
    assert problem.location == Location(str(tmp_path / "nope.txt"))
    assert problem.message == "limit file not found"


def test_limit_file_problems_point_at_line_and_column(tmp_path: Path) -> None:
    """A bad pattern or unknown name in a limit file is located at its line and column."""
    (tmp_path / "limit.txt").write_text("dc1\n  dc1,,dc2\ncap1,dc11\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        apply_limit(INVENTORY, "@limit.txt", tmp_path)
    file = str(tmp_path / "limit.txt")
    found = {(p.location, p.hint) for p in caught.value.problems}
    assert found == {(Location(file, 2, 7), ""), (Location(file, 3, 6), DC11)}


def test_limit_file_without_patterns_is_an_error(tmp_path: Path) -> None:
    """A limit file holding only comments selects nothing and says so."""
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="limit file holds no pattern"):
        apply_limit(INVENTORY, "@empty.txt", tmp_path)


@pytest.mark.parametrize(
    ("limit", "message", "hint"),
    [
        ("dc11", "'dc11' is no role, group or host of this inventory", DC11),
        (
            "cap1,!wks01",
            "'wks01' is no role, group or host",
            "did you mean 'wks001' or another of wks002, wks003, wks004 (4 named wks*)?",
        ),
        ("cap1,!cpa9x", "'cpa9x' is no role, group or host", LIST_THEM),
        ("wks9*", "no host name matches the glob 'wks9*'", ""),
        (
            "domain_controller[4]",
            "domain_controller[4] matches no host: 'domain_controller' has 2 host(s)",
            "",
        ),
        ("dc1:&client", "the limit 'dc1:&client' selects no host", "list what it selects"),
        ("dc1,,", "empty term", ""),
    ],
)
def test_limit_mistakes_are_input_errors(limit: str, message: str, hint: str) -> None:
    """Unknown names (even after `!`), terms matching nothing and empty results are errors."""
    with pytest.raises(InputError) as caught:
        apply_limit(INVENTORY, limit, Path())
    problem = only(list(caught.value.problems))
    assert problem.field == "--limit"
    assert message in problem.message
    assert hint in problem.hint


def test_excluding_an_existing_name_that_matches_nothing_is_fine() -> None:
    """`!` with a known name that matches no host (after a pick) is not an error."""
    limited = apply_limit(INVENTORY, "caps:!domain_controller[7]", Path())
    assert [h.name for h in limited.hosts] == ["dc1", "cap1"]


def test_limit_reports_every_mistake_at_once() -> None:
    """Several bad terms in one limit are all reported together."""
    with pytest.raises(InputError) as caught:
        apply_limit(INVENTORY, "dc11,wks9*,cap_sever", Path())
    assert len(caught.value.problems) == 3
