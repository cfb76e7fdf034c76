"""Every unknown host, group or role gets a "did you mean", in `--limit` and in a step's `hosts:`:
close names (case aside: Windows names are not case-sensitive, patterns are), and for a name
ending in a number, the hosts sharing its stem."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.errors import InputError
from orchestrator.inventory import apply_limit, load_inventory, parse_pattern, unknown_names
from orchestrator.inventory.cli import app
from orchestrator.validation import suggest
from tests.inventory.helpers import EXAMPLE, only, write

CLIENTS = "".join(f"        WKS{n:04d}: {{address: 10.0.0.{n}}}\n" for n in range(1, 13))
LAB_LIKE = f"""\
all:
  children:
    site_servers:
      roles: [site_server]
      hosts:
        SITE1: {{address: 10.0.1.1}}
    clients:
      roles: [client]
      hosts:
{CLIENTS}"""
TWELVE = "did you mean 'WKS0001' or another of WKS0002, WKS0003 ... WKS0012 (12 named WKS*)?"


def _limit_hint(tmp_path: Path, limit: str) -> str:
    inventory = load_inventory(write(tmp_path, LAB_LIKE))
    with pytest.raises(InputError) as caught:
        apply_limit(inventory, limit, tmp_path)
    return only(list(caught.value.problems)).hint


def test_a_host_in_the_wrong_case_is_suggested_with_its_siblings(tmp_path: Path) -> None:
    """`--limit wks0001` where hosts are WKS0001..WKS0012: the host, and the 12 named WKS*."""
    assert _limit_hint(tmp_path, "wks0001") == TWELVE


def test_a_number_past_the_last_host_names_the_family(tmp_path: Path) -> None:
    """`--limit WKS0013`: no sibling is closer than the others; the family, shortened."""
    assert _limit_hint(tmp_path, "WKS0013") == (
        "did you mean one of WKS0001, WKS0002 ... WKS0012 (12 named WKS*)?"
    )


def test_an_excluded_unknown_name_gets_the_same_suggestion(tmp_path: Path) -> None:
    """`!wks0001` is checked too (a misspelt exclusion would exclude nothing)."""
    assert _limit_hint(tmp_path, "clients:!wks0001") == TWELVE


def test_a_step_hosts_pattern_gets_the_same_suggestion(tmp_path: Path) -> None:
    """The one grammar, the one suggestion: a step's `hosts: wks0001` is told the same."""
    inventory = load_inventory(write(tmp_path, LAB_LIKE))
    assert unknown_names(inventory, parse_pattern("wks0001")) == [("wks0001", TWELVE)]


def test_a_misspelt_group_still_gets_the_closest_names(tmp_path: Path) -> None:
    """A misspelling without a number: the close names only."""
    assert _limit_hint(tmp_path, "clinets") == "did you mean 'clients' or 'client'?"


def test_the_cli_prints_the_suggestion(tmp_path: Path) -> None:
    """`inventory list --limit wks0001` exits 2 and shows the suggestion on stderr."""
    path = write(tmp_path, LAB_LIKE)
    result = CliRunner().invoke(app, ["list", "-i", str(path), "--limit", "wks0001"])
    assert result.exit_code == 2
    assert TWELVE in result.stderr


@pytest.mark.parametrize(
    ("word", "choices", "said"),
    [
        ("servce", ["service", "name"], "did you mean 'service'?"),
        ("nothing-alike", ["service", "name"], ""),
        ("wks9", ["wks001", "wks002"], "did you mean one of wks001, wks002 (2 named wks*)?"),
        ("WKS0001", ["wks0001", "cap1"], "did you mean 'wks0001'?"),
    ],
)
def test_suggest(word: str, choices: list[str], said: str) -> None:
    """The one suggestion function: close names, any case, and numbered siblings."""
    assert suggest(word, choices) == said


def test_the_example_inventory_suggests_its_workstations() -> None:
    """`wks0001` against the example's wks001..wks004: wks001, and the four named wks*."""
    with pytest.raises(InputError) as caught:
        apply_limit(load_inventory(EXAMPLE), "wks0001", EXAMPLE.parent)
    assert only(list(caught.value.problems)).hint == (
        "did you mean 'wks001' or another of wks002, wks003, wks004 (4 named wks*)?"
    )
