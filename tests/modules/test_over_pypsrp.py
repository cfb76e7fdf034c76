"""The modules through pypsrp to the lab over a real socket: the same steps, on the wire."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator.engine.step import Status, StepOutcome, drive, execute
from orchestrator.lab.domain.registry import RegistryValueKind
from orchestrator.modules import MODULES
from orchestrator.modules.base import ArgsModel
from orchestrator.modules.protocol import StepContext
from orchestrator.secrets import Secret

from ..transport.conftest import ClientFactory, LabClient, lab_client
from .conftest import args

pytestmark = pytest.mark.e2e
__all__ = ["lab_client"]  # the transport tests' fixture, used here too

KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"


def _step(client: LabClient, host: str, module: str, given: ArgsModel) -> StepOutcome:
    logic = execute(MODULES[module].implementation, given, StepContext(host))
    return drive(logic, client.transport(host), sleep=lambda _s: None)


def _twice(client: LabClient, host: str, module: str, given: ArgsModel) -> StepOutcome:
    first = _step(client, host, module, given)
    assert first.status is Status.CHANGED, first.diff
    assert _step(client, host, module, given).status is Status.OK
    return first


def test_accounts_and_memberships_over_the_wire(lab_client: ClientFactory) -> None:
    """A new AD account with a SecureString password, Guest opened with a TTL, undone."""
    client = lab_client()
    domain = client.lab.backend
    with domain.inspect() as state:
        state.ad.pam_enabled = True
    password = Secret("Canary-Wire-2000!")
    _twice(
        client,
        "DC1",
        "ad_user",
        args("ad_user", name="SMSClient2_TB1", state="present", password=password, enabled=True),
    )
    account = domain.ad_account("SMSClient2_TB1")
    assert account is not None
    assert account.enabled
    given = args(
        "ad_group_member", group="Domain Users", members=["S-1-5-21-*-501"], member_ttl="1h"
    )
    _twice(client, "DC1", "ad_group_member", given)
    local = args("local_user", sid="S-1-5-21-*-501", enabled=True, groups=["S-1-5-32-545"])
    outcome = _twice(client, "CAP1", "local_user", local)
    transport = client.transport("CAP1")
    for command in outcome.undo or ():
        assert transport.run(command).ok
    guest = domain.local_account("CAP1", "Guest")
    assert guest is not None
    assert not guest.enabled


def test_registry_and_task_values_over_the_wire(lab_client: ClientFactory) -> None:
    """Binary, DWORD above Int32 and multi-string values, and a task's XML, survive pypsrp."""
    client = lab_client()
    domain = client.lab.backend
    for kind, value in (
        ("REG_BINARY", "01 a0 ff"),
        ("REG_DWORD", 4294967295),
        ("REG_MULTI_SZ", ["a", "b"]),
    ):
        _twice(
            client,
            "WKS0001",
            "registry",
            args("registry", path=KEY, name=kind, type=kind, value=value),
        )
    binary = domain.registry_value("WKS0001", KEY, "REG_BINARY")
    assert binary is not None
    assert (binary.kind, binary.data) == (RegistryValueKind.Binary, b"\x01\xa0\xff")
    at = (domain.now() + timedelta(hours=1)).replace(tzinfo=None)
    task = args(
        "scheduled_task",
        name="T1",
        at=at,
        execute="powershell.exe",
        arguments='-Command "Get-Date"',
    )
    _twice(client, "CAP1", "scheduled_task", task)
