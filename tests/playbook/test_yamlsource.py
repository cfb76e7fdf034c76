"""Safe YAML loading with locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import InputError
from orchestrator.yamlsource import MAX_FILE_BYTES, load_file, load_text


def _error(text: str) -> str:
    with pytest.raises(InputError) as info:
        load_text(text, "f.yml")
    return str(info.value)


def test_every_value_and_key_has_its_line_and_column() -> None:
    """The source map gives 1-based line:column for values and for the keys that hold them."""
    doc = load_text("a:\n  b: [1, two]\n", "f.yml")
    assert str(doc.source.value_at(("a", "b", 1))) == "f.yml:2:10"
    assert str(doc.source.key_at(("a", "b"))) == "f.yml:2:3"


def test_location_of_an_absent_path_falls_back_to_its_parent() -> None:
    """A path that is not in the document is located at its nearest existing ancestor."""
    doc = load_text("a:\n  b: 1\n", "f.yml")
    assert str(doc.source.value_at(("a", "missing", 3))) == "f.yml:2:3"


def test_yaml_1_2_core_schema_keeps_on_yes_and_dates_as_text() -> None:
    """`on`, `yes`, `no` stay strings (YAML 1.1 would make `on:` the boolean True)."""
    doc = load_text("on: yes\nx: no\nd: 2000-06-13\nt: true\nn: ~\ni: 0x1F\nf: 1.5\n", "f.yml")
    assert doc.data == {
        "on": "yes",
        "x": "no",
        "d": "2000-06-13",
        "t": True,
        "n": None,
        "i": 31,
        "f": 1.5,
    }


def test_duplicate_keys_are_an_error_naming_both_lines() -> None:
    """A repeated key is refused, pointing at the second one and naming the first's line."""
    message = _error("name: a\nsteps: []\nname: b\n")
    assert "f.yml:3:1: duplicate key 'name' (first defined at line 1)" in message


def test_merge_keys_are_supported_and_explicit_keys_win() -> None:
    """`<<: *anchor` merges a mapping; keys written beside it override the merged ones."""
    doc = load_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "f.yml")
    assert doc.data["c"] == {"x": 1, "y": 3}


def test_alias_expansion_is_bounded() -> None:
    """A billion-laughs document is refused instead of exhausting memory."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    message = _error("\n".join(lines) + "\n")
    assert "expands to more than" in message


def test_recursive_alias_is_refused() -> None:
    """An alias that contains itself is an error, not an endless loop."""
    assert "refers to a node that contains it" in _error("a: &a [1, *a]\n")


def test_deep_nesting_is_refused() -> None:
    """Thousands of nested brackets give an input error, not a RecursionError."""
    assert "nested" in _error("[" * 3000 + "]" * 3000)


def test_python_tags_are_refused() -> None:
    """Tags that would construct Python objects are rejected with their location."""
    message = _error("a: !!python/object/apply:os.system [echo hi]\n")
    assert "f.yml:1:4: unsupported YAML tag" in message


def test_syntax_errors_carry_line_and_column() -> None:
    """A YAML syntax error names the line and column where the parser stopped."""
    message = _error("a: [1, 2\nb: 3\n")
    assert message.startswith("f.yml:2:2: YAML syntax error")


def test_more_than_one_document_is_refused() -> None:
    """A second `---` document is an error rather than silently ignored."""
    assert "found another one" in _error("a: 1\n---\nb: 2\n")


def test_empty_document_is_refused() -> None:
    """An empty file is an error."""
    assert "empty" in _error("# only a comment\n")


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    """A file over 1 MB is refused before parsing."""
    big = tmp_path / "big.yml"
    big.write_text("a: " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(InputError, match="larger than 1048576 bytes"):
        load_file(big, what="playbook")


def test_missing_and_binary_files_are_input_errors(tmp_path: Path) -> None:
    """A missing file and a non-UTF-8 file are input errors naming the file."""
    with pytest.raises(InputError, match="playbook not found"):
        load_file(tmp_path / "nope.yml", what="playbook")
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_file(binary)


def test_non_scalar_keys_are_refused() -> None:
    """A list used as a mapping key is an error."""
    assert "mapping key must be a plain value" in _error("? [a, b]\n: 1\n")
