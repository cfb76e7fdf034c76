"""Lab scenarios: YAML files (safe-loaded, validated by `schema.Scenario`) and their loader.

Shipped: `healthy` (every client checks in) and `tb1-lockout` (Q236052's site TB1 after
SMSClient_TB1's password changed with no second account). Sized at load time (clients: 5 to
10,000) and with intervals the caller may shorten further.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from orchestrator.lab.scenarios.schema import MAX_CLIENTS, Scenario

MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Overrides:
    """Load-time parameters: size, era and CCIM intervals."""

    clients: int | None = None
    era: str | None = None
    retry_interval: timedelta | None = None
    success_interval: timedelta | None = None


def available() -> list[str]:
    """Names of the shipped scenarios."""
    folder = resources.files(__package__)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def _text(name_or_path: str) -> str:
    if name_or_path in available():
        return (resources.files(__package__) / f"{name_or_path}.yaml").read_text(encoding="utf-8")
    path = Path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"no scenario {name_or_path!r} (shipped: {', '.join(available())})")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"scenario file too large: {path}")
    return path.read_text(encoding="utf-8")


def _apply(data: dict[str, Any], overrides: Overrides) -> dict[str, Any]:
    if overrides.clients is not None:
        if not 0 <= overrides.clients <= MAX_CLIENTS:
            raise ValueError(f"clients must be between 0 and {MAX_CLIENTS}")
        data.setdefault("clients", {})["count"] = overrides.clients
    if overrides.era is not None:
        data["era"] = overrides.era
    ccim = data.setdefault("site", {}).setdefault("ccim", {}) if data.get("site") else {}
    if overrides.retry_interval is not None:
        ccim["retry_interval"] = overrides.retry_interval
    if overrides.success_interval is not None:
        ccim["success_interval"] = overrides.success_interval
    return data


def load_scenario(name_or_path: str, overrides: Overrides | None = None) -> Scenario:
    """A shipped scenario by name, or a YAML file, validated, with load-time overrides."""
    data = yaml.safe_load(_text(name_or_path))
    if not isinstance(data, dict):
        raise ValueError("a scenario is a YAML mapping")
    return Scenario.model_validate(_apply(data, overrides or Overrides()))


__all__ = ["Overrides", "Scenario", "available", "load_scenario"]
