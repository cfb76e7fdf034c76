"""Escrowed secrets, the site's copy of a password, and the journal's before-state, end to end:
the CLI in a subprocess, pypsrp over a real socket, the lab.

The generated password is the canary: it must be in the escrow (a file or a program's input),
in AD and in the site's copy, and nowhere else: not in stdout, stderr, any report, the journal
or its WAL, nor `orchestrator show`.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator.lab.harness import RunningLab

from ..conftest import LabFactory
from .harness import trouble

pytestmark = pytest.mark.e2e

NEW = "CONTOSO\\SMSClient2_TB1"
OLD = "CONTOSO\\SMSClient_TB1"
KEY = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
PLAYBOOK = """\
name: A new connection account, its password escrowed and given to the site
secrets:
  new_account_password:
    generate: true
    escrow: "file:secrets/{{ run_id }}-{{ secret }}.txt"
steps:
  - name: Create the new client connection account
    hosts: domain_controller[0]
    ad_user:
      name: "SMSClient2_{{ site_code }}"
      state: present
      password: "{{ secrets.new_account_password }}"
      enabled: true
      password_never_expires: true
  - name: Add the new account to the site with its password
    hosts: site_server[0]
    sms_connection_account:
      site_code: "{{ site_code }}"
      account: "{{ domain }}\\\\SMSClient2_{{ site_code }}"
      password: "{{ secrets.new_account_password }}"
  - name: Backdate Site Config Last Checked
    hosts: client[0]
    registry:
      path: "HKLM:\\\\Software\\\\Microsoft\\\\SMS\\\\Client\\\\Sites\\\\Shared\\\\{{ site_code }}"
      name: Site Config Last Checked
      type: REG_SZ
      value: "1999/01/01 00:00.00"
"""
# a program that writes its standard input to the file its argument names (run without a shell)
COPY = "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())"


class Work:
    """A lab, its inventory, and a working directory holding the playbook, journal and reports."""

    def __init__(self, lab: RunningLab, root: Path) -> None:
        self.lab = lab
        self.inventory = lab.write_inventory(root / "lab" / "inventory.yml")
        self.cwd = root / "work"
        self.cwd.mkdir()
        self.playbook = self.cwd / "play.yml"
        self.playbook.write_text(PLAYBOOK)
        self.state = self.cwd / "state"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m orchestrator ARGS` in the working directory."""
        return subprocess.run(
            [sys.executable, "-m", "orchestrator", *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            timeout=200,
            check=False,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "250"},
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`orchestrator run` of the playbook, JSON logs, its own journal."""
        return self.cli(
            "run", str(self.playbook), "-i", str(self.inventory), "--yes",
            "--log-format", "json", "--state-dir", str(self.state), *args,
        )  # fmt: skip

    def escrow_files(self) -> list[Path]:
        """Every file in the working directory's secrets/ folder."""
        folder = self.cwd / "secrets"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def leaks(self, canary: str, *, besides: tuple[Path, ...] = ()) -> list[str]:
        """Files under the working directory holding the canary, escrows allowed apart."""
        return [
            str(p.relative_to(self.cwd))
            for p in sorted(self.cwd.rglob("*"))
            if p.is_file() and p not in besides and canary.encode() in p.read_bytes()
        ]

    def site_accounts(self) -> list[dict[str, Any]]:
        """Get-CMClientConnectionAccount as the lab answers it."""
        with self.lab.backend.inspect() as state:
            assert state.site is not None
            return [
                {"UserName": a.name, "PasswordStored": a.password is not None}
                for a in state.site.accounts
            ]


@pytest.fixture
def work(lab_factory: LabFactory, tmp_path: Path) -> Work:
    """The article's site TB1 (clock by hand: nothing here waits), a fresh working directory."""
    return Work(lab_factory(scenario="tb1-lockout", clients=5, manual_clock=True), tmp_path)


def _events(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("report", ["run.md", "run.html", "run.json", "run.txt"])
def test_the_generated_password_is_escrowed_and_nowhere_else(work: Work, report: str) -> None:
    """The playbook's file escrow holds the password (0600) before any change; AD and the site
    have it; stdout, stderr, the report, JUnit, the journal and `show` never do."""
    result = work.run("--report", report, "--junit", "junit.xml")
    assert result.returncode == 0, trouble(result)
    run_id = next(str(e["run"]) for e in _events(result.stdout) if "run" in e)
    (escrow,) = work.escrow_files()
    assert escrow.name == f"{run_id}-new_account_password.txt"
    assert stat.S_IMODE(escrow.stat().st_mode) == 0o600
    canary = escrow.read_text().removesuffix("\n")
    assert len(canary) == 24
    assert work.lab.backend.authenticate("DC1", NEW, canary).value == "ok"
    with work.lab.backend.inspect() as state:
        assert state.site is not None
        site_copy = state.site.account(NEW)
        assert site_copy is not None
        assert site_copy.password is not None
        assert site_copy.password.reveal() == canary
    shown = work.cli("show", run_id, "--state-dir", str(work.state))
    shown_json = work.cli("show", run_id, "--state-dir", str(work.state), "--format", "json")
    outputs = [result.stdout, result.stderr, shown.stdout, shown.stderr, shown_json.stdout]
    assert [i for i, text in enumerate(outputs) if canary in text] == []
    assert work.leaks(canary, besides=(escrow,)) == []
    assert str(escrow) in (work.cwd / report).read_text()  # the report says where it went
    logged = [e for e in _events(result.stdout) if e["event"] == "secret.escrowed"]
    assert [(e["name"], e["destination"]) for e in logged] == [
        ("new_account_password", f"file:{escrow}")
    ]


def test_show_gives_the_before_state_of_every_change(work: Work) -> None:
    """After the run, `show RUN` has each change's before and after: the registry value that was
    overwritten, the site's list before the account was added (outside any window)."""
    result = work.run()
    assert result.returncode == 0, trouble(result)
    run_id = next(str(e["run"]) for e in _events(result.stdout) if "run" in e)
    shown = work.cli("show", run_id, "--state-dir", str(work.state), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    steps = {(s["step"], s["host"]): s for s in json.loads(shown.stdout)["steps"]}
    backdated = steps["Backdate Site Config Last Checked", "WKS0001"]
    assert backdated["before"]["exists"] is True
    assert backdated["before"]["value"] != "1999/01/01 00:00.00"
    assert backdated["after"]["value"] == "1999/01/01 00:00.00"
    added = steps["Add the new account to the site with its password", "SITE1"]
    assert added["before"] == {"accounts": [OLD], "passwords_stored": []}
    assert added["after"] == {"accounts": [OLD, NEW], "passwords_stored": [NEW]}
    text = work.cli("show", run_id, "--state-dir", str(work.state))
    assert "Before and after each change" in text.stdout
    assert json.dumps(backdated["before"]["value"]) in text.stdout


def test_the_operator_escrows_to_a_program_instead(work: Work) -> None:
    """--escrow NAME=command:... overrides the playbook's file: the program gets the password
    on stdin (no shell), no file is written, and the report names the command."""
    received = work.cwd.parent / "received.txt"
    command = f'command:{sys.executable} -c "{COPY}" {received}'
    result = work.run("--escrow", f"new_account_password={command}", "--report", "run.md")
    assert result.returncode == 0, trouble(result)
    assert work.escrow_files() == []
    canary = received.read_text().removesuffix("\n")
    assert work.lab.backend.authenticate("DC1", NEW, canary).value == "ok"
    assert canary not in result.stdout + result.stderr
    assert work.leaks(canary) == []
    assert str(received) in (work.cwd / "run.md").read_text()


def test_a_run_that_cannot_escrow_refuses_before_contacting_a_host(work: Work) -> None:
    """An escrow file that exists: exit 4, the file untouched, no request reached the lab, no
    account was created, and no run was journaled."""
    taken = work.cwd / "taken.txt"
    taken.write_text("someone else's\n")
    before = work.lab.server.counters.snapshot().http_requests
    result = work.run("--escrow", f"new_account_password=file:{taken}")
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr
    assert "cannot escrow generated secret 'new_account_password'" in result.stderr
    assert "exists already" in result.stderr
    assert taken.read_text() == "someone else's\n"
    assert work.lab.server.counters.snapshot().http_requests == before
    assert work.lab.backend.ad_account("SMSClient2_TB1") is None
    assert work.site_accounts() == [{"UserName": OLD, "PasswordStored": False}]
    runs = work.cli("runs", "--state-dir", str(work.state), "--format", "json")
    assert json.loads(runs.stdout)["runs"] == []


def test_a_plan_says_where_the_secret_would_go_and_writes_nothing(work: Work) -> None:
    """`plan --format json`: each generated secret with the destination a run would use."""
    result = work.cli("plan", str(work.playbook), "-i", str(work.inventory), "--format", "json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    (escrow,) = json.loads(result.stdout)["escrows"]
    where = work.cwd / "secrets" / "<run id>-new_account_password.txt"
    assert escrow == {"secret": "new_account_password", "destination": f"file:{where}",
                      "planned": True}  # fmt: skip
    assert work.escrow_files() == []


@pytest.mark.parametrize(
    ("escrow", "said"),
    [
        ("nope=file:x.txt", "the playbook has no secret 'nope'"),
        ("new_account_password=vault:x", "expected an escrow destination"),
        ("new_account_password", "expected NAME=DESTINATION"),
    ],
)
def test_a_bad_escrow_option_is_an_input_error(work: Work, escrow: str, said: str) -> None:
    """A malformed or misdirected --escrow: exit 2 naming it, before any host is contacted."""
    before = work.lab.server.counters.snapshot().http_requests
    result = work.run("--escrow", escrow)
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr
    assert said in result.stderr
    assert work.lab.server.counters.snapshot().http_requests == before
