"""Whatever text is given as an inventory, loading raises nothing but InputError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.errors import InputError
from orchestrator.inventory import Inventory, parse_inventory

KEYS = [
    "all", "credentials", "children", "hosts", "vars", "roles", "address", "scheme", "port",
    "path", "auth", "cert_validation", "credential", "connection_timeout", "read_timeout",
    "operation_timeout", "encryption", "username", "password", "dc1", "caps", "x", "1", "",
]  # fmt: skip
WORDS = [
    "https", "http", "5986", "30s", "0s", "env:PW", "generate", "prompt", "cap_server",
    "client", "dc1", "all", "caps", "[0]", "*", "file:x", "/wsman", "wsman",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True),
    st.sampled_from(WORDS),
    st.text(max_size=8),
)
DATA: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), SCALARS), inner, max_size=4),
    ),
    max_leaves=30,
)
YAMLISH = st.text(
    alphabet=st.sampled_from(list("all:hosts children{}[]-,&*!|>'\"#\n  \t0123456789.@%?~")),
    max_size=120,
)


def _load(text: str) -> Inventory | None:
    try:
        return parse_inventory(text, Path("fuzz.yml"))
    except InputError:
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DATA)
def test_structured_data_loads_or_raises_input_error(data: Any) -> None:
    """Random mappings built from the inventory's own keys load or raise InputError."""
    _load(yaml.safe_dump({"all": data} if isinstance(data, dict) else data))


@settings(max_examples=300, deadline=None)
@given(YAMLISH)
def test_yamlish_text_loads_or_raises_input_error(text: str) -> None:
    """Arbitrary YAML-looking text loads or raises InputError, never anything else."""
    _load(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_raises_input_error(text: str) -> None:
    """Any unicode text at all loads or raises InputError."""
    _load(text)
