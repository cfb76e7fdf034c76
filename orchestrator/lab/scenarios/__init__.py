"""Lab scenarios: YAML files (safe-loaded, validated by `schema.Scenario`) and their loader.

Shipped: `healthy` (every client checks in) and `tb1-lockout` (Q236052's site TB1 after
SMSClient_TB1's password changed with no second account). Sized at load time (clients: 5 to
10,000) and with intervals the caller may shorten further.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError, Location
from orchestrator.lab.scenarios.schema import MAX_CLIENTS, Scenario
from orchestrator.validation import validate
from orchestrator.yamlsource import YamlDocument, load_file, load_text


@dataclass(frozen=True)
class Overrides:
    """Load-time parameters: size, era and CCIM intervals."""

    clients: int | None = None
    era: str | None = None
    retry_interval: timedelta | None = None
    success_interval: timedelta | None = None
    start: datetime | None = None  # the lab clock's start (default: the scenario's)


def available() -> list[str]:
    """Names of the shipped scenarios."""
    folder = resources.files(__package__)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def _document(name_or_path: str) -> YamlDocument:
    if name_or_path in available():
        text = (resources.files(__package__) / f"{name_or_path}.yaml").read_text(encoding="utf-8")
        return load_text(text, f"scenario {name_or_path}")
    path = Path(name_or_path)
    if not path.is_file():
        raise InputError.single(
            f"no scenario {name_or_path!r}",
            location=Location(name_or_path),
            hint=f"shipped scenarios: {', '.join(available())}; or the path of a YAML file",
        )
    return load_file(path, what="scenario")


def _apply(data: dict[str, Any], overrides: Overrides) -> dict[str, Any]:
    if overrides.clients is not None:
        if not 0 <= overrides.clients <= MAX_CLIENTS:
            raise InputError.single(
                f"clients must be between 0 and {MAX_CLIENTS}, found {overrides.clients}",
                location=Location("command line --clients"),
            )
        data.setdefault("clients", {})["count"] = overrides.clients
    if overrides.era is not None:
        data["era"] = overrides.era
    if overrides.start is not None:
        data["start"] = overrides.start
    ccim = data.setdefault("site", {}).setdefault("ccim", {}) if data.get("site") else {}
    if overrides.retry_interval is not None:
        ccim["retry_interval"] = overrides.retry_interval
    if overrides.success_interval is not None:
        ccim["success_interval"] = overrides.success_interval
    return data


def load_scenario(name_or_path: str, overrides: Overrides | None = None) -> Scenario:
    """A shipped scenario by name, or a YAML file, validated, with load-time overrides.

    Raises InputError naming every problem with its file:line:column.
    """
    doc = _document(name_or_path)
    if not isinstance(doc.data, dict):
        raise InputError.single("a scenario is a YAML mapping", location=doc.source.value_at(()))
    scenario, problems = validate(Scenario, _apply(doc.data, overrides or Overrides()), doc.source)
    if scenario is None:
        raise InputError(problems)
    return scenario


__all__ = ["Overrides", "Scenario", "available", "load_scenario"]
