"""Lab scenarios: YAML files (safe-loaded, validated by `schema.Scenario`) and their loader.

Shipped: `healthy` (every client checks in) and `tb1-lockout` (Q236052's site TB1 after
SMSClient_TB1's password changed with no second account). Sized at load time (clients: 5 to
10,000), with intervals the caller may shorten further, and with the switches a recovery
playbook's test needs: the era, how many clients are broken, the site's logon methods, and
whether Smsman /u leaves the client's local Smsman.exe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError, Location
from orchestrator.lab.scenarios.schema import MAX_CLIENTS, ClientsSpec, Scenario
from orchestrator.validation import validate
from orchestrator.yamlsource import YamlDocument, load_file, load_text

ERAS = ("nt4_sms2", "modern")


@dataclass(frozen=True)
class Overrides:
    """Load-time parameters: size, era, CCIM intervals and the recovery-relevant switches.

    None keeps the scenario's own value.
    """

    clients: int | None = None
    era: str | None = None  # nt4_sms2 | modern
    retry_interval: timedelta | None = None
    success_interval: timedelta | None = None
    start: datetime | None = None  # the lab clock's start (default: the scenario's)
    broken_clients: int | None = None  # only the first N clients as the scenario says
    smsman_survives_uninstall: bool | None = None  # fidelity uninstall_keeps_local_smsman
    logon_discovery: bool | None = None  # the site's Windows NT Logon Discovery
    logon_installation: bool | None = None  # the site's Windows NT Logon Client Installation


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


def _command_line(option: str, message: str, hint: str = "") -> InputError:
    return InputError.single(message, location=Location(f"command line --{option}"), hint=hint)


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    """data[key] as a mapping to write into (created if absent; a wrong type is left to the
    schema, which reports it where the file has it)."""
    value = data.setdefault(key, {})
    return value if isinstance(value, dict) else {}


def _client_count(data: dict[str, Any]) -> int | None:
    """The number of clients the scenario will have, if it can be told before validation."""
    if "clients" not in data:
        return 0  # Scenario.clients' default: no clients
    clients = data["clients"]
    if not isinstance(clients, dict):
        return None
    count = clients.get("count", ClientsSpec.model_fields["count"].default)
    return count if isinstance(count, int) else None


def _apply_clients(data: dict[str, Any], overrides: Overrides) -> None:
    if overrides.clients is not None:
        if not 0 <= overrides.clients <= MAX_CLIENTS:
            raise _command_line(
                "clients", f"clients must be between 0 and {MAX_CLIENTS}, found {overrides.clients}"
            )
        _mapping(data, "clients")["count"] = overrides.clients
    broken = overrides.broken_clients
    if broken is None:
        return
    count = _client_count(data)
    if broken < 0 or (count is not None and broken > count):
        bound = "the number of clients" + (f" ({count})" if count is not None else "")
        raise _command_line(
            "broken-clients", f"broken_clients must be between 0 and {bound}, found {broken}"
        )
    _mapping(data, "clients")["broken_clients"] = broken


def _apply_site(data: dict[str, Any], overrides: Overrides) -> None:
    switches = {
        "logon_discovery": overrides.logon_discovery,
        "logon_installation": overrides.logon_installation,
    }
    given = {name: value for name, value in switches.items() if value is not None}
    if given and not data.get("site"):
        option = next(iter(given)).replace("_", "-")
        raise _command_line(option, f"this scenario has no SMS site to set {option} on")
    site = _mapping(data, "site") if data.get("site") else {}
    site.update(given)
    ccim = _mapping(site, "ccim") if site else {}
    if overrides.retry_interval is not None:
        ccim["retry_interval"] = overrides.retry_interval
    if overrides.success_interval is not None:
        ccim["success_interval"] = overrides.success_interval


def _apply(data: dict[str, Any], overrides: Overrides) -> dict[str, Any]:
    _apply_clients(data, overrides)
    if overrides.era is not None:
        if overrides.era not in ERAS:
            raise _command_line(
                "era", f"unknown era {overrides.era!r}", hint=f"expected {' or '.join(ERAS)}"
            )
        data["era"] = overrides.era
    if overrides.start is not None:
        data["start"] = overrides.start
    if overrides.smsman_survives_uninstall is not None:
        keep = overrides.smsman_survives_uninstall
        _mapping(data, "fidelity")["uninstall_keeps_local_smsman"] = keep
    _apply_site(data, overrides)
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


__all__ = ["ERAS", "Overrides", "Scenario", "available", "load_scenario"]
