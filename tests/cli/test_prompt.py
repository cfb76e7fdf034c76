"""`orchestrator run` on a terminal asks first, as Terraform's apply does: `[y/N]`, no by default,
and every way of not saying yes (another answer, Ctrl-C, end of input) cancels with exit 4."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "smsman-reinstall.yml"
INVENTORY = ROOT / "inventory" / "example.yml"
PROMPT = b"Run it? [y/N] "
CANCELLED = "cancelled at the prompt: nothing was changed"


@dataclass
class Terminal:
    """`orchestrator run` with a pseudo-terminal for stdin, stdout and stderr."""

    process: subprocess.Popen[bytes]
    master: int
    seen: bytes = b""

    def read_until(self, wanted: bytes, timeout: float = 30) -> bytes:
        """What the terminal showed, up to and including `wanted`."""
        deadline = time.monotonic() + timeout
        while wanted not in self.seen and time.monotonic() < deadline:
            self._read(0.2)
        assert wanted in self.seen, self.seen.decode(errors="replace")
        return self.seen

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        """The exit code and everything the terminal showed."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.2):
            pass
        return self.process.wait(timeout=5), self.seen.decode(errors="replace")

    def wait_reading_stdin(self, timeout: float = 10) -> None:
        """Until the process sits in read(2) on fd 0. CPython checks for signals only between
        bytecodes and on EINTR: a SIGINT landing after the prompt is written but before
        input() reaches read(2) is seen only once read returns, that is at the next key (a
        window of microseconds for a person, and the moment this test would send it)."""
        deadline = time.monotonic() + timeout
        syscall = Path(f"/proc/{self.process.pid}/syscall")
        while time.monotonic() < deadline:
            try:
                number, fd = syscall.read_text().split()[:2]
            except (OSError, ValueError):  # no /proc/PID/syscall here: give it a moment
                time.sleep(0.5)
                return
            if (number, fd) == ("0", "0x0"):  # read(0, ...)
                return
            time.sleep(0.02)
        raise AssertionError(f"the process never waited on its input: {self.seen!r}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 4096)
        except OSError:  # the other side closed: the process is gone
            return False
        self.seen += data
        return bool(data)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """`run` waiting at its prompt (the example inventory; no host is reached before a yes)."""
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "ORCH_ADMIN_PASSWORD": "not-used",
        "ORCH_CLIENT_PASSWORD": "not-used",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    command = [sys.executable, "-m", "orchestrator", "run", str(PLAYBOOK), "-i", str(INVENTORY)]
    process = subprocess.Popen(
        [*command, "--state-dir", str(tmp_path / "state")],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    shown = Terminal(process, master)
    shown.read_until(PROMPT)
    yield shown
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    os.close(master)


def test_the_prompt_says_y_n_with_no_as_the_default(terminal: Terminal) -> None:
    """The question ends with `[y/N]`: the default, an empty answer, is no (exit 4)."""
    assert terminal.seen.rstrip().endswith(PROMPT.rstrip())
    os.write(terminal.master, b"\n")
    code, shown = terminal.finish()
    assert code == 4, shown
    assert CANCELLED in shown


def test_an_answer_other_than_yes_cancels(terminal: Terminal, tmp_path: Path) -> None:
    """`n` (or anything but y/yes) cancels with a message, exit 4, no journal written."""
    os.write(terminal.master, b"maybe\n")
    code, shown = terminal.finish()
    assert code == 4, shown
    assert CANCELLED in shown
    assert not (tmp_path / "state").exists()


def test_ctrl_c_at_the_prompt_cancels_with_exit_4(terminal: Terminal, tmp_path: Path) -> None:
    """SIGINT while waiting for the answer: the cancel message, exit 4 (not 130), nothing
    changed: no journal, no traceback."""
    terminal.wait_reading_stdin()
    terminal.process.send_signal(signal.SIGINT)
    code, shown = terminal.finish()
    assert code == 4, shown
    assert CANCELLED in shown
    assert "Traceback" not in shown
    assert not (tmp_path / "state").exists()


def test_end_of_input_at_the_prompt_cancels_with_exit_4(terminal: Terminal, tmp_path: Path) -> None:
    """Ctrl-D (end of input) at the prompt: the cancel message and exit 4."""
    os.write(terminal.master, b"\x04")
    code, shown = terminal.finish()
    assert code == 4, shown
    assert CANCELLED in shown
    assert "Aborted" not in shown
    assert not (tmp_path / "state").exists()
