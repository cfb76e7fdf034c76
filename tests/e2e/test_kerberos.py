"""Kerberos end to end (issue 14): the orchestrator's CLI in a subprocess, pypsrp, the lab's
HTTP endpoint and its real MIT KDC; the inventory is the lab's own, used as it is."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from orchestrator.lab.harness import PASSWORD_FILE, RunningLab
from tests.kinit import kinit

from ..conftest import LabFactory
from ..lab.kerberos.winrm import kdc_failures
from .harness import GUEST_WINDOW, Window, run_id_of

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "labadmin"  # tb1-lockout's operator, under the domain's lockout policy
pytestmark = pytest.mark.e2e


def _kerberos_lab(lab_factory: LabFactory, tmp_path: Path, **options: object) -> Window:
    lab = lab_factory(scenario="tb1-lockout", clients=5, auth="kerberos", kerberos=True, **options)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    return Window(lab, inventory, tmp_path / "state", GUEST_WINDOW, tmp_path)


def _plan(window: Window) -> subprocess.CompletedProcess[str]:
    """`orchestrator plan guest-window.yml` against the lab's inventory (reads only)."""
    argv = [sys.executable, "-m", "orchestrator", "plan", str(GUEST_WINDOW)]
    return subprocess.run(
        [*argv, "-i", str(window.inventory), "-e", "poll_interval=1s"],
        capture_output=True,
        text=True,
        cwd=window.cwd,
        timeout=120,
        check=False,
    )


def test_the_lab_writes_an_inventory_that_logs_on_with_kerberos(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """auth kerberos, user@REALM, each host's SPN name, the lab's krb5.conf: as it is."""
    window = _kerberos_lab(lab_factory, tmp_path, manual_clock=True)
    data = yaml.safe_load(window.inventory.read_text())
    assert data["all"]["auth"] == "kerberos"
    assert data["credentials"]["lab_operator"]["username"] == f"{OPERATOR}@CONTOSO.COM"
    assert (window.inventory.parent / data["kerberos"]["config"]).is_file()
    hosts = data["all"]["children"]["domain_controllers"]["hosts"]
    assert {h["kerberos_hostname"] for h in hosts.values()} == {"dc1.contoso.com"}
    plan = _plan(window)
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr
    assert kdc_failures(window.lab, OPERATOR) == 0


def test_the_guest_window_recovers_the_site_over_kerberos(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """guest-window.yml with Kerberos logons (real time): clients recover, Guest closed."""
    window = _kerberos_lab(lab_factory, tmp_path, start_now=True)
    run = window.run("-e", "checkin_timeout=90s")
    code, err = run.finish(timeout=240)
    assert code == 0, err
    assert window.guest_enabled() == {"DC1": False, "CAP1": False}
    shown = window.command("show", run_id_of(run.events), "--format", "json")
    assert json.loads(shown.stdout)["run"]["status"] == "succeeded"
    assert window.lab.realm is not None
    log = window.lab.realm.kdc.files.kdc_log.read_text()
    assert f"{OPERATOR}@CONTOSO.COM for krbtgt" in log  # the logons were Kerberos ones


def test_a_wrong_password_exits_5_after_exactly_one_failed_preauthentication(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Five hosts, one credential, a wrong password: one refusal at the KDC, exit 5, and the
    right password works afterwards (the account is not locked)."""
    window = _kerberos_lab(lab_factory, tmp_path, manual_clock=True)
    secret = window.inventory.parent / PASSWORD_FILE
    right = secret.read_text()
    secret.write_text("not-the-password-at-all\n")
    plan = _plan(window)
    assert plan.returncode == 5, plan.stdout[-2000:] + plan.stderr
    assert "Kerberos: the KDC refused the password" in plan.stdout + plan.stderr
    assert "not-the-password-at-all" not in plan.stdout + plan.stderr
    assert kdc_failures(window.lab, OPERATOR) == 1
    secret.write_text(right)
    again = _plan(window)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr


def test_plan_with_the_operators_own_ticket_and_no_password_anywhere(
    lab_factory: LabFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No credential in the inventory: the ticket kinit would have left in the cache."""
    window = _kerberos_lab(lab_factory, tmp_path, manual_clock=True)
    data = yaml.safe_load(window.inventory.read_text())
    del data["credentials"]
    del data["all"]["credential"]
    window.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    (window.inventory.parent / PASSWORD_FILE).unlink()
    cache = tmp_path / "krb5cc"
    _, password = window.lab.operator()
    kinit(f"{OPERATOR}@CONTOSO.COM", password, cache)
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{cache}")
    plan = _plan(window)
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr


def test_a_disabled_account_exits_5_saying_to_enable_or_unlock_it(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """The KDC refuses the operator's account (disabled, as a locked one is refused): exit 5,
    the reason and what to do in the plan, no failure counted."""
    window = _kerberos_lab(lab_factory, tmp_path, manual_clock=True)
    assert window.lab.realm is not None
    window.lab.realm.kdc.disable(OPERATOR)
    plan = _plan(window)
    assert plan.returncode == 5, plan.stdout[-2000:] + plan.stderr
    assert "locked out or disabled" in plan.stdout
    assert "Enable-ADAccount" in plan.stdout
    assert kdc_failures(window.lab, OPERATOR) == 0


def test_negotiate_with_a_wrong_password_is_not_tried_again_over_ntlm(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """auth negotiate, user@REALM: the KDC refuses the password once, and NTLM is not tried
    with it (pyspnego's Negotiate alone would: a second failed logon at the DC)."""
    window = _kerberos_lab(lab_factory, tmp_path, manual_clock=True)
    data = yaml.safe_load(window.inventory.read_text())
    data["all"]["auth"] = "negotiate"
    window.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    (window.inventory.parent / PASSWORD_FILE).write_text("not-the-password-at-all\n")
    plan = _plan(window)
    assert plan.returncode == 5, plan.stdout[-2000:] + plan.stderr
    assert "Kerberos: the KDC refused the password" in plan.stdout
    assert kdc_failures(window.lab, OPERATOR) == 1
    deadline = time.monotonic() + 5
    while _bad_password_count(window.lab) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)  # the lab brings the KDC's failures to the directory from kdc.log
    time.sleep(0.3)  # and would bring a second one, if there were any, by now
    assert _bad_password_count(window.lab) == 1


def _bad_password_count(lab: RunningLab) -> int:
    """The directory's badPwdCount of the operator: every failed logon, Kerberos or NTLM."""
    view = lab.backend.ad_account(OPERATOR)
    assert view is not None
    return view.bad_pwd_count


def test_negotiate_logs_on_with_kerberos_when_the_kdc_accepts(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """auth negotiate, user@REALM, the right password: the plan runs on a Kerberos ticket
    (the KDC issued one to the operator), and nothing counts as a failure anywhere."""
    window = _kerberos_lab(lab_factory, tmp_path, manual_clock=True)
    data = yaml.safe_load(window.inventory.read_text())
    data["all"]["auth"] = "negotiate"
    window.inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    plan = _plan(window)
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr
    assert window.lab.realm is not None
    assert f"{OPERATOR}@CONTOSO.COM for krbtgt" in window.lab.realm.kdc.files.kdc_log.read_text()
    assert kdc_failures(window.lab, OPERATOR) == 0
    assert _bad_password_count(window.lab) == 0
