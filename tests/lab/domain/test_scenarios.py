"""Scenario files: loading, validation, sizing, and a 10,000-client lab that ticks cheaply."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.errors import InputError
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.domain.sms import ClientHealth
from orchestrator.lab.scenarios import Overrides, available, load_scenario

from .conftest import hourly


def test_shipped_scenarios() -> None:
    """healthy and tb1-lockout ship and validate."""
    assert {"healthy", "tb1-lockout"} <= set(available())
    for name in available():
        assert load_scenario(name).name == name


def test_healthy_clients_all_check_in(healthy: DomainBackend) -> None:
    """In the healthy scenario every client checks in within its first cycle window."""
    healthy.advance(timedelta(hours=1))
    assert {c.health for c in healthy.clients()} == {ClientHealth.CheckedIn}


def test_tb1_lockout_clients_all_fail(tb1: DomainBackend) -> None:
    """In tb1-lockout every client fails with the article's error."""
    tb1.advance(timedelta(minutes=1))
    assert {(c.health, c.last_error) for c in tb1.clients()} == {(ClientHealth.Failing, 2147942405)}


def test_sizing_by_parameter() -> None:
    """The client count is a load-time parameter, bounded to 10,000."""
    assert load_scenario("tb1-lockout", Overrides(clients=42)).clients.count == 42
    with pytest.raises(InputError, match="between 0 and 10000"):
        load_scenario("tb1-lockout", Overrides(clients=10_001))


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


MINIMAL = """
name: mini
local_admin_password: "Lab-Local-2000!"
domain: {netbios: CONTOSO, dns: contoso.com, admin_password: "Lab-Admin-2000!"}
hosts: [{name: DC1, roles: [domain_controller]}]
"""


def test_file_scenarios_and_unknown_keys(tmp_path: Path) -> None:
    """A YAML file loads; an unknown key is a validation error."""
    assert load_scenario(_write(tmp_path, MINIMAL)).name == "mini"
    with pytest.raises(InputError, match=r"s\.yaml:6:1: colour: unknown key 'colour'"):
        load_scenario(_write(tmp_path, MINIMAL + "colour: blue\n"))


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    """Python tags are refused by the safe loader."""
    with pytest.raises(InputError, match="unsupported YAML tag"):
        load_scenario(_write(tmp_path, "!!python/object/apply:os.system ['true']\n"))


def test_bad_values_are_rejected(tmp_path: Path) -> None:
    """Bad durations, roles, and fidelity switches fail with clear errors."""
    bad_role = MINIMAL.replace("domain_controller", "mainframe")
    with pytest.raises(InputError, match=r"hosts\[0\]\.roles\[0\]"):
        load_scenario(_write(tmp_path, bad_role))
    bad_duration = MINIMAL + "site: {code: TB1, ccim: {retry_interval: soon}}\n"
    with pytest.raises(InputError, match="duration"):
        load_scenario(_write(tmp_path, bad_duration))
    with pytest.raises(ValueError, match="unknown fidelity switch"):
        DomainBackend.from_scenario(
            load_scenario(_write(tmp_path, MINIMAL + "fidelity: {warp: true}\n"))
        )


def test_missing_scenario_names_the_shipped_ones() -> None:
    """An unknown name lists what exists."""
    with pytest.raises(InputError, match="tb1-lockout"):
        load_scenario("nope")


def test_ten_thousand_clients_load_and_advance_an_hour_quickly() -> None:
    """A 10,000-client tb1-lockout loads and runs an hour of hourly retries in seconds; the
    next round of retries locks the account out again (the lockout lasted 30 minutes)."""
    started = time.perf_counter()
    lab = DomainBackend.from_scenario("tb1-lockout", hourly(clients=10_000), manual_clock=True)
    loaded = time.perf_counter()
    ran = lab.advance(timedelta(hours=1, minutes=1))
    advanced = time.perf_counter()
    assert len(lab.host_names()) == 10_003
    assert ran >= 20_000
    assert loaded - started < 15
    assert advanced - loaded < 15
    assert lab.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
