"""PAM time-to-live inside a window: the DC ends a Domain Users membership at the deadline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.engine.failsafe_pam import pam_enabled, ttl_applies, with_ttl
from orchestrator.engine.step import Status, execute
from orchestrator.errors import WindowError
from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.scenarios import Overrides, available
from orchestrator.modules import MODULES
from orchestrator.modules.ad_group_member import Args
from orchestrator.modules.protocol import StepContext

from .conftest import DEADLINE, GUEST, Target

SECOND = timedelta(seconds=1)
SHIPPED = Path(__file__).parents[2] / "orchestrator" / "lab" / "scenarios"


@pytest.fixture
def pam_lab(tmp_path: Path) -> DomainBackend:
    """tb1-lockout with `domain.pam: true` (a test-local scenario), no clients."""
    assert "tb1-lockout" in available()
    text = (SHIPPED / "tb1-lockout.yaml").read_text(encoding="utf-8")
    marked = text.replace("  dns: contoso.com\n", "  dns: contoso.com\n  pam: true\n", 1)
    assert marked != text
    path = tmp_path / "tb1-pam.yaml"
    path.write_text(marked, encoding="utf-8")
    return DomainBackend.from_scenario(str(path), Overrides(clients=0), manual_clock=True)


def _members(raw: dict[str, object]) -> Args:
    return Args.model_validate(raw)


def test_pam_enabled_reads_the_optional_feature(lab: DomainBackend, pam_lab: DomainBackend) -> None:
    """Get-ADOptionalFeature's EnabledScopes: empty without PAM, non-empty with it."""
    assert Target(lab, "DC1").drive(pam_enabled()) is False
    assert Target(pam_lab, "DC1").drive(pam_enabled()) is True


def test_a_ttl_membership_ends_at_the_deadline_by_itself(pam_lab: DomainBackend) -> None:
    """With the time left as its TTL, Guest leaves Domain Users at the deadline, no task armed;
    the Guest account itself stays enabled, which is why the task is still needed."""
    dc = Target(pam_lab, "DC1")
    dc.change("ad_user", sid=GUEST, enabled=True)
    deadline = pam_lab.now() + DEADLINE
    given = with_ttl(
        _members({"group": "Domain Users", "members": [GUEST]}), deadline - pam_lab.now()
    )
    assert given.member_ttl == DEADLINE
    step = execute(MODULES["ad_group_member"].implementation, given, StepContext("DC1"))
    assert dc.drive(step).status is Status.CHANGED
    sid = dc.guest().sid
    pam_lab.advance(DEADLINE - SECOND)
    assert sid in dc.ad_members("Domain Users")
    pam_lab.advance(SECOND)
    assert sid not in dc.ad_members("Domain Users")
    assert dc.failsafe_tasks() == []
    assert dc.guest().enabled


def test_with_ttl_rewrites_only_additions_to_ad_groups() -> None:
    """Only ad_group_member adding members gets a TTL: whole seconds, never past its own TTL."""
    adding = _members({"group": "Domain Users", "members": [GUEST]})
    assert ttl_applies(adding)
    assert with_ttl(adding, timedelta(minutes=30, seconds=59.9)).member_ttl == timedelta(
        minutes=30, seconds=59
    )
    shorter = _members({"group": "Domain Users", "members": [GUEST], "member_ttl": "10m"})
    assert with_ttl(shorter, timedelta(hours=1)).member_ttl == timedelta(minutes=10)
    removing = _members({"group": "Domain Users", "members": [GUEST], "state": "absent"})
    assert with_ttl(removing, timedelta(hours=1)) is removing
    local = MODULES["local_user"].args.model_validate({"sid": GUEST, "enabled": True})
    assert not ttl_applies(local)
    assert with_ttl(local, timedelta(hours=1)) is local
    with pytest.raises(WindowError, match="deadline has passed"):
        with_ttl(adding, timedelta(milliseconds=999))
