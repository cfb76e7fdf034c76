"""Worker processes end to end: `--workers 2` through pypsrp to the lab over a real socket.

The transport runs in two worker processes while the breaker stays in the command's own
process: a wrong password still costs exactly one failed logon (exit 5), and the right one
runs the window playbook to the end, Guest closed again, no debug line printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import LabFactory
from .harness import Window, variant
from .test_fanout import FINISHES, Site, _scenario

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(lab_factory: LabFactory, tmp_path: Path) -> Site:
    """tb1-lockout with five member-server CAPs, on a clock moved by hand."""
    lab = lab_factory(scenario=str(_scenario(tmp_path)), clients=5, manual_clock=True,
                      start_now=True)  # fmt: skip
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    playbook = variant(tmp_path, **FINISHES)
    return Site(Window(lab, inventory, tmp_path / "state", playbook, tmp_path))


def test_two_workers_keep_the_credential_promise_and_run_the_playbook(site: Site) -> None:
    """run --workers 2: wrong password, exit 5 and badPwdCount +1 (not one per worker or
    CAP); right password, exit 0 with Guest closed on every CAP and no debug line."""
    args = ["run", str(site.window.playbook), "-i", str(site.window.inventory), "-e",
            "poll_interval=1s", "--yes", "--log-format", "json", "--state-dir",
            str(site.window.state), "--workers", "2", "--forks", "4"]  # fmt: skip
    site.password("wrong-password")
    failed = site.cli(*args)
    assert failed.returncode == 5, failed.stdout[-2000:] + failed.stderr
    assert site.bad_logons() == 1
    site.password(site.lab.operator()[1])
    worked = site.cli(*args)
    assert worked.returncode == 0, worked.stdout[-2000:] + worked.stderr
    assert not any(site.guest().values())
    assert '"level": "debug"' not in worked.stdout + worked.stderr
    assert "Traceback" not in worked.stderr
