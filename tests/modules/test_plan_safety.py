"""Plan safety: every module's probe reads only, and every module is reachable from its spec."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.lab.backend import DomainBackend
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import DiffKind, StepContext
from orchestrator.secrets import Secret

from .conftest import Host, args

KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
# for each module: a host and arguments that WOULD change the domain if applied
CHANGING: dict[str, tuple[str, dict[str, Any]]] = {
    "local_user": ("CAP1", {"sid": "S-1-5-21-*-501", "enabled": True, "groups": ["Users"]}),
    "local_group_member": ("CAP1", {"group": "Users", "members": ["S-1-5-21-*-501"]}),
    "ad_user": (
        "DC1",
        {
            "name": "New1",
            "state": "present",
            "password": Secret("Canary-Pass-2000!"),
            "enabled": True,
        },
    ),
    "ad_group_member": ("DC1", {"group": "Domain Users", "members": ["S-1-5-21-*-501"]}),
    "registry": ("WKS0001", {"path": KEY, "name": "X", "type": "REG_DWORD", "value": 1}),
    "service": ("WKS0001", {"name": "Clisvcl", "state": "stopped"}),
    "scheduled_task": ("CAP1", {"name": "T1", "at": "2000-01-04T18:00:00", "execute": "x.exe"}),
    "process": ("WKS0001", {"path": "C:\\WINNT\\Smsman.exe", "removes": KEY}),
    "wait_for": (
        "SITE1",
        {
            "probe": {"sms_client_status": {"site_code": "TB1"}},
            "until": "checked_in > 4",
            "timeout": "1m",
        },
    ),
    "sms_connection_account": ("SITE1", {"site_code": "TB1", "account": "CONTOSO\\SMSClient2_TB1"}),
}


@pytest.mark.parametrize("module", sorted(CHANGING))
def test_the_probe_sends_no_mutating_command(lab: DomainBackend, module: str) -> None:
    """Probe and diff (a plan) send only read-only commands and leave the domain untouched."""
    host_name, raw = CHANGING[module]
    host = Host(lab, host_name)
    given = args(module, **raw)
    ctx = StepContext(host_name, {}, None, lambda: 0.0)
    state = host.probe(module, given, ctx)  # asserts: read-only transport, same state digest
    diff = MODULES[module].implementation.diff(given, state)
    assert diff.kind is DiffKind.CHANGE, diff
    assert all(not c.mutating for c in host.sent)
    assert "Canary-Pass-2000!" not in repr(diff)


def test_the_powershell_probe_sends_nothing(lab: DomainBackend) -> None:
    """A script's probe has nothing to read: no command at all."""
    host = Host(lab, "CAP1")
    given = args("powershell", script="param($a) $a")
    host.drive(MODULES["powershell"].implementation.probe(given, StepContext("CAP1")))
    assert host.sent == []


def test_every_module_has_its_implementation() -> None:
    """MODULES[name].implementation is the module called `name`, for all thirteen."""
    assert {name: spec.implementation.name for name, spec in MODULES.items()} == {
        name: name for name in MODULES
    }
    assert set(CHANGING) | {"powershell", "probe", "assert"} == set(MODULES)


def test_traits_default_to_permanent_and_changing() -> None:
    """Only wait_for, probe and assert are read-only; only the AD modules list a transient
    error."""
    read_only = {n for n, s in MODULES.items() if getattr(s.implementation, "read_only", False)}
    transient = {n for n, s in MODULES.items() if getattr(s.implementation, "transient_errors", ())}
    assert read_only == {"wait_for", "probe", "assert"}
    assert transient == {"ad_user", "ad_group_member"}
