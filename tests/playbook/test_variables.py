"""Variables: precedence, rendering in dependency order, -e parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import InputError, Location
from orchestrator.playbook.variables import Var, VariableResolver, layer, parse_extra_vars
from orchestrator.templating import Templar


def _vars(scope: str, **values: object) -> dict[str, Var]:
    return {
        name: Var(value, Location(f"{scope}.yml", 1, 1), scope) for name, value in values.items()
    }


def test_later_levels_win() -> None:
    """layer() merges lowest first: the highest level's value is kept, with its origin."""
    merged = layer(_vars("playbook", a=1, b=1), _vars("host", b=2), _vars("-e", c=3))
    assert {k: v.value for k, v in merged.items()} == {"a": 1, "b": 2, "c": 3}
    assert merged["b"].scope == "host"


def test_variables_render_after_the_ones_they_use() -> None:
    """A variable referring to another is rendered after it, whatever the order written."""
    resolver = VariableResolver(Templar())
    values = resolver.resolve(
        _vars(
            "p", new="{{ prefix }}2_{{ site }}", prefix="SMSClient", site="{{ code }}", code="TB1"
        ),
        {},
    )
    assert values["new"] == "SMSClient2_TB1"


def test_a_cycle_is_reported_once_with_its_path() -> None:
    """Variables that refer to each other in a cycle give one error naming the cycle."""
    with pytest.raises(InputError) as info:
        VariableResolver(Templar()).resolve(_vars("p", a="{{ b }}", b="{{ a }}"), {})
    assert [p.message for p in info.value.problems] == [
        "variables refer to each other in a cycle: a -> b -> a"
    ]


def test_undefined_reference_names_the_variable_and_where_it_was_set() -> None:
    """An undefined name inside a variable is reported at that variable's origin."""
    with pytest.raises(InputError) as info:
        VariableResolver(Templar()).resolve(
            _vars("inventory", a="{{ site_cod }}", site_code="TB1"), {}
        )
    (problem,) = info.value.problems
    assert str(problem.location) == "inventory.yml:1:1"
    assert problem.field == "vars.a (inventory)"
    assert "did you mean 'site_code'" in problem.message


def test_engine_names_cannot_be_overridden() -> None:
    """A variable named like a magic name (from the inventory or -e) is refused."""
    with pytest.raises(InputError, match="reserved name"):
        VariableResolver(Templar()).resolve(
            _vars("-e", inventory_hostname="x"), {"inventory_hostname": "h"}
        )


def test_extra_vars_key_value_and_files(tmp_path: Path) -> None:
    """-e key=value gives strings; -e @file.yml gives typed values; later items win."""
    (tmp_path / "v.yml").write_text("site_code: XY2\nwindow_minutes: 90\n")
    extra = parse_extra_vars(["site_code=TB1", "@v.yml", "domain=TB1"], tmp_path)
    assert {k: v.value for k, v in extra.items()} == {
        "site_code": "XY2",
        "window_minutes": 90,
        "domain": "TB1",
    }
    assert extra["window_minutes"].location == Location(str(tmp_path / "v.yml"), 2, 17)


def test_bad_extra_vars_are_all_reported(tmp_path: Path) -> None:
    """Malformed -e items and a missing vars file are reported together."""
    with pytest.raises(InputError) as info:
        parse_extra_vars(["novalue", "1x=2", "@missing.yml"], tmp_path)
    messages = [p.message for p in info.value.problems]
    assert messages[0] == "expected key=value or @file.yml, found 'novalue'"
    assert messages[1] == "expected key=value or @file.yml, found '1x=2'"
    assert messages[2] == "vars file not found"
