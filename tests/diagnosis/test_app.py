"""`diagnose` composed: readers driven through the fan-out against the lab's domain in process
(the end-to-end tests go through pypsrp): read-only, every host read once, inputs checked."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from orchestrator.app.diagnose import DiagnoseOptions, diagnose_site, exit_code
from orchestrator.commands import Command
from orchestrator.diagnosis import diagnose
from orchestrator.diagnosis.facts import Failure, Part, Unread
from orchestrator.errors import InputError
from orchestrator.inventory.model import Inventory
from orchestrator.lab.harness import RunningLab

from ..conftest import LabFactory
from ..lab_transport import LabConnector, LabTransport
from .sites import broken, healthy

ROOT = Path(__file__).resolve().parents[2]


class Recording(LabConnector):
    """The lab's in-process connector, keeping every transport it closes (with what it sent)."""

    def __init__(self, backend: Any, credentials: Any) -> None:
        super().__init__(backend, credentials)
        self.closed: list[LabTransport] = []

    def close_all(self) -> None:
        """Keep the transports, then forget them."""
        with self._lock:
            self.closed.extend(self._transports.values())
        super().close_all()


class Site:
    """A lab, its inventory, and diagnose run in process against its domain."""

    def __init__(self, lab: RunningLab, tmp_path: Path) -> None:
        self.lab = lab
        self.inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
        self.connectors: list[Recording] = []

    def connector(self, _inventory: Inventory, credentials: Any) -> Recording:
        connector = Recording(self.lab.backend, credentials)
        self.connectors.append(connector)
        return connector

    def diagnose(self, *extra: str, **options: Any) -> tuple[int, dict[str, Any]]:
        out = io.StringIO()
        given = DiagnoseOptions(self.inventory, tuple(extra), format="json", **options)
        code = diagnose_site(given, factory=self.connector, console=Console(file=out),
                             interactive=False)  # fmt: skip
        return code, json.loads(out.getvalue())

    def sent(self) -> list[Command]:
        return [c for conn in self.connectors for t in conn.closed for c in t.sent]


def _lab(lab_factory: LabFactory, scenario: str) -> RunningLab:
    lab = lab_factory(scenario=scenario, clients=3, manual_clock=True, start_now=True)
    lab.backend.advance(timedelta(minutes=5))
    return lab


def test_the_broken_site_is_read_without_a_single_change(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """tb1-lockout: exit 6, nothing but read-only commands sent, the domain's state unchanged,
    one logon per host, the site's clients read once."""
    site = Site(_lab(lab_factory, "tb1-lockout"), tmp_path)
    before = site.lab.backend.state_digest()
    code, data = site.diagnose()
    assert code == 6
    assert site.lab.backend.state_digest() == before
    assert site.sent()
    assert not any(c.mutating for c in site.sent())
    (connector,) = site.connectors
    hosts = [host for host, _user in connector.logons]
    assert sorted(hosts) == sorted(set(hosts))  # one logon per host
    assert data["state"] == "broken"
    assert data["recommended"][0] == "method-1"
    statuses = [c for c in site.sent() if c.cmdlet == "Get-CMClientStatus"]
    assert len(statuses) == 1


def test_modern_guest_barriers_refuse_the_guest_window(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """The modern era's registry values (LimitBlankPasswordUse 1, AllowInsecureGuestAuth 0)
    block method 3; the lab's scenario says so, diagnose reads it."""
    scenario = yaml.safe_load((ROOT / "orchestrator/lab/scenarios/tb1-lockout.yaml").read_text())
    scenario["era"] = "modern"
    path = tmp_path / "modern.yaml"
    path.write_text(yaml.safe_dump(scenario))
    site = Site(_lab(lab_factory, str(path)), tmp_path)
    _code, data = site.diagnose()
    three = next(m for m in data["methods"] if m["key"] == "method-3")
    assert three["verdict"] == "blocked"
    assert any("LimitBlankPasswordUse=1" in b for b in three["blockers"])
    assert any("AllowInsecureGuestAuth=0" in b for b in three["blockers"])


def test_the_site_code_comes_from_the_command_line_or_the_inventory(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """--site-code wins; a bad one is invalid input (exit 2) before any host is contacted."""
    site = Site(_lab(lab_factory, "healthy"), tmp_path)
    code, data = site.diagnose(site_code="tb1")
    assert (code, data["site_code"]) == (0, "TB1")
    with pytest.raises(InputError, match="three letters"):
        site.diagnose(site_code="TOOLONG")
    with pytest.raises(InputError, match="site_server"):
        site.diagnose(limit="all:!site_servers")
    with pytest.raises(InputError, match="report format"):
        site.diagnose(report=tmp_path / "report.html")
    assert len(site.connectors) == 1  # only the first call reached the connector


@pytest.mark.parametrize(
    ("facts", "rejected", "expected"),
    [
        (healthy(), False, 0),
        (broken(), False, 6),
        (healthy(unread=(Unread(Part.CAP, "CAP1", Failure.UNREACHABLE, "down"),)), False, 1),
        (broken(unread=(Unread(Part.CAP, "CAP1", Failure.UNREACHABLE, "down"),)), False, 1),
        (broken(), True, 5),
    ],
    ids=["healthy", "broken", "healthy-unread", "broken-unread", "rejected"],
)
def test_exit_codes(facts: Any, rejected: bool, expected: int) -> None:
    """5 a credential rejected, before 1 something unread, before 6 action, before 0 healthy."""
    assert exit_code(diagnose(facts), rejected=rejected) == expected
