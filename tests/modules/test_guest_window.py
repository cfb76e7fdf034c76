"""Q236052 method 3 with the modules alone: the Guest window recovers the clients, then closes."""

from __future__ import annotations

from orchestrator.commands import Command
from orchestrator.engine.step import Status
from orchestrator.lab.backend import DomainBackend
from orchestrator.modules.protocol import StepContext
from orchestrator.secrets import Secret
from orchestrator.templating import Templar

from .conftest import Host, args

GUEST = "S-1-5-21-*-501"
NEW = "CONTOSO\\SMSClient2_TB1"


def test_the_guest_window_recovers_every_client(lab: DomainBackend) -> None:
    """Steps of guest-window.yml in order: clients learn the new account; undo closes Guest."""
    dc, cap, site = Host(lab, "DC1"), Host(lab, "CAP1"), Host(lab, "SITE1")
    password = Secret("New-Client-2000!")
    dc.step(
        "ad_user",
        args("ad_user", name="SMSClient2_TB1", state="present", password=password, enabled=True),
    )
    site.step(
        "sms_connection_account", args("sms_connection_account", site_code="TB1", account=NEW)
    )
    old = args(
        "sms_connection_account", site_code="TB1", account="CONTOSO\\SMSClient_TB1", state="absent"
    )
    site.step("sms_connection_account", old)
    dc.step("ad_user", args("ad_user", name="SMSClient_TB1", state="absent"))
    window = [
        (dc, "ad_user", args("ad_user", sid=GUEST, enabled=True)),
        (dc, "ad_group_member", args("ad_group_member", group="Domain Users", members=[GUEST])),
        (cap, "local_user", args("local_user", sid=GUEST, enabled=True)),
        (
            cap,
            "local_group_member",
            args("local_group_member", group_sid="S-1-5-32-545", members=[GUEST]),
        ),
    ]
    undo: list[tuple[Host, tuple[Command, ...] | None]] = []
    for host, module, given in window:
        outcome = host.step(module, given)
        assert outcome.status is Status.CHANGED
        undo.append((host, outcome.undo))
    wait = args(
        "wait_for",
        probe={"sms_client_status": {"site_code": "TB1", "account": NEW}},
        until="aware_ratio >= 0.98",
        interval="60s",
        timeout="110m",
    )
    ctx = StepContext("SITE1", {}, Templar().evaluate, lambda: lab.now().timestamp())
    assert site.step("wait_for", wait, ctx).status is Status.OK  # waited, changed nothing
    assert site.progress[-1].values["aware"] == 5
    for host, commands in reversed(undo):
        host.undo(commands)
    for name in ("DC1", "CAP1"):
        guest = lab.local_account(name, "Guest")
        assert guest is not None
        assert not guest.enabled
