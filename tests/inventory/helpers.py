"""Shared helpers for inventory tests: write a YAML inventory, load it, find its problems."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestrator.errors import InputError, Problem
from orchestrator.inventory import Inventory, load_inventory

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory" / "example.yml"

MINIMAL = """\
credentials:
  domain_admin: {username: 'TB1\\orch-admin', password: env:ORCH_ADMIN_PASSWORD}
all:
  credential: domain_admin
  children:
    domain_controllers:
      roles: [domain_controller]
      hosts:
        dc1: {address: dc1.tb1.example.com}
"""


def write(tmp_path: Path, text: str, name: str = "inventory.yml") -> Path:
    """Write dedented YAML text to a file under tmp_path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Inventory:
    """Load an inventory written from text."""
    return load_inventory(write(tmp_path, text))


def problems(tmp_path: Path, text: str) -> list[Problem]:
    """The problems loading this inventory text reports (it must fail)."""
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    return list(caught.value.problems)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line of (dedented) text containing needle."""
    lines = textwrap.dedent(text).splitlines()
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    return found[occurrence - 1]


def only(found: list[Problem]) -> Problem:
    """The single problem of a list, failing with all of them shown otherwise."""
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def column_of(text: str, needle: str) -> int:
    """The 1-based column where needle starts on the first line of (dedented) text holding it."""
    line = textwrap.dedent(text).splitlines()[line_of(text, needle) - 1]
    return line.index(needle) + 1
