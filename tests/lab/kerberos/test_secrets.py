"""Passwords given to the KDC appear nowhere else: not in argv, tool output, logs, files or errors."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import krb5
import pytest

from orchestrator.lab.kerberos import Kdc, KdcError

from .conftest import CANARY, User, logon, password

pytestmark = pytest.mark.usefixtures("realm_environment")


@dataclass
class Recorder:
    """Every subprocess.run call: what went in (argv, stdin) and what came out."""

    argv: list[str] = field(default_factory=list)
    stdin: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """subprocess.run still runs, and is watched."""
    recorder = Recorder()
    real = subprocess.run

    def watch(args: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        done: subprocess.CompletedProcess[str] = real(args, **options)
        recorder.argv.append(" ".join(args))
        recorder.stdin.append(str(options.get("input", "")))
        recorder.output += [str(done.stdout), str(done.stderr)]
        return done

    monkeypatch.setattr(subprocess, "run", watch)
    return recorder


def everything_written(directory: Path) -> str:
    """Every file under the KDC's state directory (logs, configuration, database, keytabs)."""
    return "".join(
        path.read_bytes().decode("utf-8", "replace")
        for path in directory.rglob("*")
        if path.is_file()
    )


def test_passwords_travel_only_in_kadmin_stdin_and_never_come_back_out(
    kdc: Kdc, user: User, recorded: Recorder, capfd: pytest.CaptureFixture[str]
) -> None:
    """Adding, changing and mistyping canary passwords, and two refused commands: the canary is
    in kadmin's stdin (the control) and nowhere else, not even in kadmin's raw output."""
    kdc.set_password(user.name, password("changed"))
    kdc.add_user("canary-holder", password("added"))
    with pytest.raises(krb5.Krb5Error):
        logon(user.name, password("mistyped"))
    with pytest.raises(KdcError) as exists:
        kdc.add_user("canary-holder", password("again"))
    with pytest.raises(KdcError) as unknown:
        kdc.set_password("nobody-here", password("for nobody"))
    errors = [exists.value, unknown.value]

    assert any(CANARY in text for text in recorded.stdin)
    assert not [text for text in recorded.argv + recorded.output if CANARY in text]
    assert not [str(e) for e in errors if CANARY in f"{e} {e!r} {e.__cause__} {e.__context__}"]
    assert CANARY not in everything_written(kdc.files.directory)
    out, err = capfd.readouterr()
    assert CANARY not in out + err


def test_a_refused_command_says_what_failed_and_what_to_do(kdc: Kdc, user: User) -> None:
    """Adding an existing principal: the error names the command and the principal, and a hint."""
    with pytest.raises(KdcError) as caught:
        kdc.add_user(user.name, password())

    message = str(caught.value)
    assert f'"{user.name}@CONTOSO.COM"' in message
    assert "already exists" in message
    assert "set its password instead, or delete it first" in message
    assert "****" not in message  # nothing to redact here: kadmin's errors carry no password
