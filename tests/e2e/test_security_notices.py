"""Insecure connection choices, end to end: the CLI in a subprocess, pypsrp, the lab over TLS.

`cert_validation: false` is allowed (a lab, a first contact) but never silent: every plan
and run says so on stderr, and its reports carry the notice near the top. Basic over plain
http is refused by `validate -i` unless the inventory opts in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from ..conftest import LabFactory

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "rotate-connection-account.yml"

pytestmark = pytest.mark.e2e


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def _rewrite(inventory: Path, **settings: object) -> Path:
    """The lab's inventory with these settings under `all:`."""
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    data["all"].update(settings)
    inventory.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return inventory


def test_a_plan_without_certificate_validation_says_so_everywhere(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Validation off over TLS: the plan works, warns on stderr, and both reports say so."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, tls=True, manual_clock=True)
    lab.backend.advance(timedelta(minutes=5))
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    _rewrite(inventory, cert_validation=False)
    markdown = tmp_path / "plan.md"
    result = _cli(
        "plan", str(PLAYBOOK), "-i", str(inventory), "-e", "poll_interval=1s",
        "--format", "json", "--report", str(markdown),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    report = json.loads(result.stdout)
    (notice,) = report["notices"]
    assert notice.startswith("certificate validation is off for ")
    assert "SITE1" in notice
    assert notice in " ".join(result.stderr.split())
    text = markdown.read_text(encoding="utf-8")
    assert notice in " ".join(text.split())
    assert text.index("certificate validation is off") < text.index("## Credential preflight")


def test_validate_refuses_basic_over_http_unless_opted_in(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """`validate -i` on a basic-over-http lab inventory: exit 2 at file:line; the opt-in passes."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    _rewrite(inventory, auth="basic", encryption="never")
    refused = _cli("validate", str(PLAYBOOK), "-i", str(inventory))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    lines = inventory.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == "auth: basic")
    stderr = " ".join(refused.stderr.split())
    assert f"{inventory}:{line}:" in stderr
    assert "auth basic over http" in stderr
    assert "allow_basic_over_http: true" in stderr
    assert "DC1" in stderr
    _rewrite(inventory, allow_basic_over_http=True)
    accepted = _cli("validate", str(PLAYBOOK), "-i", str(inventory))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


READ_ONLY = """\
name: Read the site
steps:
  - name: Read which clients are broken
    hosts: site_server[0]
    probe:
      sms_client_status:
        site_code: "{{ site_code }}"
"""


def test_a_run_without_certificate_validation_warns_in_its_json_logs(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """`run --log-format json`: the notice on stderr and a `warning` event in the JSON lines."""
    lab = lab_factory(scenario="tb1-lockout", clients=5, tls=True, manual_clock=True)
    inventory = _rewrite(
        lab.write_inventory(tmp_path / "lab" / "inventory.yml"), cert_validation=False
    )
    playbook = tmp_path / "read.yml"
    playbook.write_text(READ_ONLY, encoding="utf-8")
    result = _cli(
        "run", str(playbook), "-i", str(inventory), "--yes", "--log-format", "json",
        "--state-dir", str(tmp_path / "state"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "certificate validation is off for" in " ".join(result.stderr.split())
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    (warning,) = [e for e in events if e["event"] == "security.notice"]
    assert warning["level"] == "warning"
    assert "certificate validation is off for 1 host (SITE1)" in warning["notice"]
    assert events.index(warning) < next(
        i for i, e in enumerate(events) if e["event"] == "run.started"
    )
