"""Batches of kadmin.local commands: built as text, fed through stdin, one process per batch.

One kadmin.local process opens the database once and runs every line of its standard input, so
a thousand principals cost one process start, not a thousand. Passwords travel only in that
stdin (never in argv, which `ps` shows) and are redacted from any error text. kadmin's command
line parser (libss) splits on blanks and reads a double-quoted word literally, a doubled quote
standing for one quote; a line break would end the command (and a line starting with "!" would
run a shell), so no word may contain one. Commands: MIT's kadmin page
(https://web.mit.edu/kerberos/krb5-latest/doc/admin/admin_commands/kadmin_local.html).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.lab.contract import SecureString
from orchestrator.lab.kerberos.errors import KdcError, redact
from orchestrator.lab.kerberos.policy import KdcLockout
from orchestrator.lab.kerberos.tools import find_tool

_FORBIDDEN = ("\n", "\r", "\0")
# kadmin's words for a principal that is not there (get_principal, delete_principal ...)
NOT_FOUND = "Principal does not exist"
_HINTS = (
    ("already exists", "It is in the KDC already: set its password instead, or delete it first"),
    (NOT_FOUND, "Add the principal first (it may have been deleted)"),
)


def quote(word: str) -> str:
    """One kadmin word, double-quoted so blanks, quotes, "!" and "#" are taken literally."""
    if not word or any(bad in word for bad in _FORBIDDEN):
        raise ValueError("a kadmin word must be non-empty and on one line")
    return '"' + word.replace('"', '""') + '"'


class AdminScript:
    """kadmin.local commands for one realm, to run in one process. Its repr shows no password."""

    def __init__(self, realm: str) -> None:
        self.realm = realm
        self._lines: list[str] = []
        self._secrets: list[str] = []

    def __repr__(self) -> str:
        return f"AdminScript({self.realm}, {len(self._lines)} commands)"

    def __len__(self) -> int:
        return len(self._lines)

    def command(self, *words: str) -> AdminScript:
        """Append one command; the first word is kadmin's request name, the rest are quoted."""
        self._lines.append(" ".join([words[0], *(quote(w) for w in words[1:])]))
        return self

    def _password(self, password: SecureString) -> str:
        clear = password.reveal()
        self._secrets.append(clear)
        return clear

    def add_policy(self, lockout: KdcLockout, *, modify: bool = False) -> AdminScript:
        """add_policy (or modify_policy) with the lockout relations."""
        verb = "modify_policy" if modify else "add_policy"
        return self.command(verb, *lockout.policy_options(), lockout.name)

    def add_user(self, name: str, password: SecureString, policy: str | None) -> AdminScript:
        """A user principal that must pre-authenticate (as AD requires), under `policy`."""
        policy_words = ["-policy", policy] if policy else ["-clearpolicy"]
        pw = self._password(password)
        return self.command("add_principal", *policy_words, "+requires_preauth", "-pw", pw, name)

    def set_password(self, name: str, password: SecureString) -> AdminScript:
        """change_password: a new key from a password (the failure count is left as it is)."""
        return self.command("change_password", "-pw", self._password(password), name)

    def add_service(self, name: str) -> AdminScript:
        """A service principal with a random key and no lockout policy."""
        return self.command("add_principal", "-clearpolicy", "-randkey", name)

    def export(self, names: Iterable[str], keytab: Path) -> AdminScript:
        """ktadd -norandkey: the current keys into `keytab` (kadmin.local only; no new kvno)."""
        for name in names:
            self.command("ktadd", "-k", str(keytab), "-norandkey", name)
        return self

    def text(self) -> str:
        """The whole of kadmin.local's standard input."""
        return "".join(line + "\n" for line in self._lines)

    def secrets(self) -> list[str]:
        """The clear passwords in this batch: what error text is redacted against."""
        return list(self._secrets)


@dataclass(frozen=True)
class KadminOutput:
    """What a batch printed: its standard output, and its error lines (redacted)."""

    stdout: str
    errors: tuple[str, ...]


def run(script: AdminScript, env: Mapping[str, str], timeout: float = 120.0) -> KadminOutput:
    """Run a batch in one kadmin.local process. kadmin.local exits 0 whatever a command did, so
    each command's failure is one line on stderr; a non-zero exit means it could not start."""
    secrets = script.secrets()
    try:
        done = subprocess.run(  # noqa: S603 -- fixed program, arguments from us, input on stdin
            [find_tool("kadmin.local"), "-r", script.realm],
            input=script.text(),
            capture_output=True,
            text=True,
            errors="replace",
            env=dict(env),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KdcError(
            f"kadmin.local did not finish {len(script)} commands in {timeout:.0f} s",
            "Check that the KDC's database is not locked by another process",
        ) from None  # the expired process's output stays out of the traceback
    errors = tuple(redact(line, secrets) for line in done.stderr.splitlines() if line.strip())
    if done.returncode != 0:
        raise KdcError(
            f"kadmin.local could not start (exit {done.returncode}): {' '.join(errors)}",
            "Check that the realm's database exists (Kdc.start creates it)",
        )
    return KadminOutput(redact(done.stdout, secrets), errors)


def check(output: KadminOutput, *, tolerated: tuple[str, ...] = ()) -> KadminOutput:
    """The output, or KdcError naming every command that failed and what to do."""
    failed = [line for line in output.errors if not any(t in line for t in tolerated)]
    if not failed:
        return output
    hint = next(
        (text for marker, text in _HINTS if any(marker in line for line in failed)),
        "See the KDC's admin log for details",
    )
    raise KdcError(f"kadmin.local refused {len(failed)} command(s): {'; '.join(failed)}", hint)
