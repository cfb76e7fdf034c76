"""Helper processes for the crash and lock-race tests (run as a script; tests import constants).

    workers.py crash STATE_DIR ACK_FILE   forks one journal writer per line read on stdin, prints
                                          its pid, and reaps it (the test kills it with SIGKILL)
    workers.py race STATE_DIR N DELAY     forks N processes that try to take the same run lock at
                                          the same instant, DELAY s after the forks; each prints
                                          `won` or `refused`

Forking from one interpreter that has already imported orchestrator keeps each iteration to a
few milliseconds. No journal is open in the forking parent (SQLite connections must not cross
a fork); each child opens its own.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from orchestrator.commands import SWITCH, Command
from orchestrator.journal import ChangeState, EventKind, Journal, LockHeldError, RunLock

CRASH_RUN = "crashrun0001"
HOSTS = ("h0", "h1", "h2")
MAX_LIFE = 10.0  # a writer that is never killed stops by itself


def _ack(fd: int, text: str) -> None:
    os.write(fd, f"{text}\n".encode())  # one write per line: lines from processes never mix


def _next_seq(journal: Journal, host: str) -> int:
    return sum(1 for c in journal.changes(CRASH_RUN) if c.host == host)


def _write_host(journal: Journal, host: str, ack: int, deadline: float) -> None:
    seq = _next_seq(journal, host)
    while time.monotonic() < deadline:
        pad = "x" * (seq % 50 * 97)  # records of varied sizes, some spanning pages
        undo = [Command("Set-Thing", (("Seq", seq), ("Force", SWITCH), ("Pad", pad)), True)]
        # not waited for: the intent after it must carry it to disk
        journal.queue_event(
            CRASH_RUN, EventKind.HOST_STEP_STARTED, host=host, step=f"step {seq}",
            step_index=seq, detail={"seq": seq},
        )  # fmt: skip
        change = journal.record_intent(
            CRASH_RUN, host=host, step=f"step {seq}", step_index=seq, module="m",
            args={"seq": seq, "pad": pad, "n": len(pad)}, before={}, after={}, undo=undo,
        )  # fmt: skip
        _ack(ack, f"intent {host} {seq}")
        journal.mark(change, ChangeState.APPLIED)
        _ack(ack, f"applied {host} {seq}")
        journal.record_event(
            CRASH_RUN, EventKind.HOST_STEP_FINISHED, host=host, step=f"step {seq}",
            step_index=seq, status="changed", detail={"seq": seq},
        )  # fmt: skip
        _ack(ack, f"event {host} {seq}")
        seq += 1


def _writer(state: Path, ack_path: Path) -> None:
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    journal = Journal.open(state)
    if not any(r.id == CRASH_RUN for r in journal.runs(1000)):
        play = state.parent / "play.yml"
        journal.start_run(
            playbook=play, inventory=play, vars_json="{}", domain_key="crash", run_id=CRASH_RUN
        )
    deadline = time.monotonic() + MAX_LIFE
    threads = [
        threading.Thread(target=_write_host, args=(journal, h, ack, deadline)) for h in HOSTS
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()


def crash(state: Path, ack_path: Path) -> None:
    """Fork a writer per stdin line; report its pid, then how it ended."""
    for _line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                _writer(state, ack_path)
            finally:
                os._exit(0)
        _ack(1, str(pid))
        _, status = os.waitpid(pid, 0)
        _ack(1, f"reaped {status}")


def _racer(state: Path, index: int, start_at: float) -> None:
    journal = Journal.open(state)
    lock = RunLock(journal, "race-domain", run_id=f"racer{index}")
    time.sleep(max(0.0, start_at - time.time()))
    try:
        lock.acquire()
    except LockHeldError as exc:
        _ack(1, f"refused {index} {exc}")
    else:
        _ack(1, f"won {index} {os.getpid()}")
        time.sleep(2.0)  # hold it while the losers try; then die without releasing
    journal.close()


def race(state: Path, count: int, delay: float) -> None:
    """Fork `count` racers and wait for them all."""
    start_at = time.time() + delay  # after the imports: every racer is ready by then
    pids = []
    for index in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                _racer(state, index, start_at)
            except BaseException as exc:  # noqa: BLE001 -- report it: the test shows the cause
                _ack(1, f"error {index} {type(exc).__name__}: {exc}")
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    if sys.argv[1] == "crash":
        crash(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        race(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
