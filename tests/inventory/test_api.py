"""The inventory package's public names are pinned: changing them is a deliberate act."""

from __future__ import annotations

import orchestrator.inventory


def test_public_api_is_pinned() -> None:
    """`orchestrator.inventory.__all__` lists exactly the supported names."""
    assert set(orchestrator.inventory.__all__) == {
        "DEFAULT_PORTS",
        "Auth",
        "Connection",
        "Credential",
        "Encryption",
        "Group",
        "Host",
        "HostPattern",
        "Inventory",
        "Origin",
        "PatternSyntaxError",
        "Role",
        "Scheme",
        "UnknownName",
        "apply_limit",
        "build_inventory",
        "load_inventory",
        "parse_inventory",
        "parse_pattern",
        "select",
        "unknown_names",
    }
    for name in orchestrator.inventory.__all__:
        assert getattr(orchestrator.inventory, name) is not None
