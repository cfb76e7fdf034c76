"""Whatever text arrives, loading it raises our InputError or succeeds: never anything else."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.modules import MODULES
from orchestrator.playbook.loader import build_playbook
from orchestrator.yamlsource import load_text

KEYS = st.sampled_from(
    [
        "name",
        "hosts",
        "steps",
        "window",
        "deadline",
        "failsafe",
        "vars",
        "secrets",
        "when",
        "retry",
        "timeout",
        "attempts",
        "sid",
        "enabled",
        "state",
        "members",
        "probe",
        "until",
        "value",
        "type",
        "path",
        *MODULES,
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["{{ x }}", "{{", "2h", "cap_server[0]", "S-1-5-21-*-501", "env:X"]),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=30,
)


def _load(text: str) -> None:
    problems: tuple[object, ...] = ()
    try:
        build_playbook(load_text(text, "fuzz.yml"), MODULES)
    except InputError as exc:
        problems = exc.problems
        assert problems, "an InputError always carries its problems"
    assert all(str(p) for p in problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_only_raises_input_error(text: str) -> None:
    """Random text (broken YAML, control characters, odd unicode) gives InputError at worst."""
    _load(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, TREES, max_size=6))
def test_arbitrary_yaml_structures_only_raise_input_error(tree: dict[str, Any]) -> None:
    """Random playbook-shaped YAML gives InputError at worst, whatever types sit where."""
    _load(yaml.safe_dump(tree, allow_unicode=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(KEYS, TREES, max_size=5), max_size=5))
def test_arbitrary_steps_only_raise_input_error(steps: list[dict[str, Any]]) -> None:
    """Random step lists under a valid header give InputError at worst."""
    _load(yaml.safe_dump({"name": "fuzz", "steps": steps}, allow_unicode=True))
