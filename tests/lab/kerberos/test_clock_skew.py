"""A client whose clock is 15 minutes off (faketime, a Debian package `make` installs) against
the lab's real KDC: with MIT's default kdc_timesync the client corrects for the KDC's time and
logs on; without it the KDC refuses (clock skew) and the orchestrator says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.lab.kerberos import Kdc

from .conftest import CANARY, HOST, User

ROOT = Path(__file__).resolve().parents[3]
# one logon as pypsrp makes it, in a process whose clock faketime moves; prints our error
CLIENT = """
import sys, spnego
from orchestrator.transport.psrp.errors import translate
name, host = sys.argv[1:3]
password = sys.stdin.read()  # not on the command line, where ps would show it
try:
    spnego.client(name, password, hostname=host, service="HTTP", protocol="kerberos").step()
except Exception as exc:
    print(translate(exc, "wks001"))
else:
    print("logged on")
"""


def _skewed_logon(kdc: Kdc, user: User, tmp_path: Path, *, timesync: bool) -> str:
    config = tmp_path / "krb5.conf"
    text = kdc.files.krb5_conf.read_text()
    config.write_text(
        text.replace("[libdefaults]", f"[libdefaults]\n  kdc_timesync = {int(timesync)}")
    )
    argv = ["faketime", "-f", "+15m", sys.executable, "-c", CLIENT, user.name, HOST]
    done = subprocess.run(
        argv,
        input=user.password.reveal(),
        env={**os.environ, "KRB5_CONFIG": str(config)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert CANARY not in done.stdout + done.stderr
    return done.stdout.strip()


def test_a_client_15_minutes_off_corrects_for_the_kdcs_time_by_default(
    kdc: Kdc, user: User, tmp_path: Path
) -> None:
    assert _skewed_logon(kdc, user, tmp_path, timesync=True) == "logged on"


def test_without_time_sync_clock_skew_gets_its_own_message(
    kdc: Kdc, user: User, tmp_path: Path
) -> None:
    said = _skewed_logon(kdc, user, tmp_path, timesync=False)
    assert said.startswith("wks001: Kerberos: this machine's clock and the KDC's differ")
    assert "synchronise this machine's clock" in said


@pytest.fixture(autouse=True)
def _faketime_installed() -> None:
    """faketime comes with `make` (Makefile, .ci/run): missing, the set-up is broken."""
    assert subprocess.run(["faketime", "-f", "+0", "true"], check=False).returncode == 0, (
        "faketime is missing: run make, which installs Debian's faketime package"
    )
