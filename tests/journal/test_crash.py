"""A journal writer killed with SIGKILL at random moments leaves a clean, consistent journal,
in which every intent carries to disk the events queued (not waited for) before it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from orchestrator.journal import ChangeState, EventKind, Journal

from .workers import CRASH_RUN, HOSTS

WORKERS = Path(__file__).with_name("workers.py")
ITERATIONS = 40

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the writer is forked")


def _acked(ack: Path) -> dict[str, set[tuple[str, int]]]:
    """What the writers reported as committed, by kind (intent, applied, event)."""
    done: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for line in ack.read_text().splitlines():
        kind, host, seq = line.split()
        done[kind].add((host, int(seq)))
    return done


def _check(state: Path, ack: Path) -> int:
    """Open, integrity-check, and verify the journal is a consistent prefix of what was written."""
    with Journal.open(state) as journal:
        with journal.database.read() as conn:
            assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
        if not journal.runs():
            return 0
        changes = journal.changes(CRASH_RUN)
        timeline = journal.timeline(CRASH_RUN)
    started = {(e.host, e.detail["seq"]) for e in timeline if e.kind is EventKind.HOST_STEP_STARTED}
    finished = {
        (e.host, e.detail["seq"]) for e in timeline if e.kind is EventKind.HOST_STEP_FINISHED
    }
    done = _acked(ack)
    for host in HOSTS:
        seqs = [c.args["seq"] for c in changes if c.host == host]
        assert seqs == list(range(len(seqs))), f"{host}: a gap or a duplicate in {seqs}"
    for change in changes:
        key = (change.host, change.args["seq"])
        assert len(change.args["pad"]) == change.args["n"], "a half-written record"
        assert change.undo is not None
        assert key in started, f"{key}: an intent on disk without the event queued before it"
        assert change.undo[0].param("Seq") == key[1]
        if key in finished:
            assert change.state is ChangeState.APPLIED, (
                f"{key}: event before the change was applied"
            )
        if key in done["applied"]:
            assert change.state is ChangeState.APPLIED, f"{key}: an acknowledged mark was lost"
    assert done["intent"] <= {(c.host, c.args["seq"]) for c in changes}, "acknowledged intent lost"
    assert done["event"] <= finished, "an acknowledged event was lost"
    return len(changes)


def test_sigkill_at_random_moments_never_corrupts_the_journal(tmp_path: Path) -> None:
    """Over many SIGKILLs mid-write the journal opens, passes integrity_check, and holds every
    acknowledged record, with no gap, duplicate or half record."""
    state, ack = tmp_path / "state", tmp_path / "acks"
    (tmp_path / "play.yml").write_text("steps: []\n")
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    forker = subprocess.Popen(
        [sys.executable, str(WORKERS), "crash", str(state), str(ack)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert forker.stdin is not None
    assert forker.stdout is not None
    counts = []
    try:
        for _ in range(ITERATIONS):
            forker.stdin.write("go\n")
            forker.stdin.flush()
            pid = int(forker.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.12))
            os.kill(pid, signal.SIGKILL)
            assert forker.stdout.readline().startswith("reaped"), f"seed {seed}"
            counts.append(_check(state, ack))
    finally:
        forker.stdin.close()
        forker.wait(timeout=10)
        forker.stdout.close()
    assert counts[-1] > ITERATIONS, (
        f"too few records written to mean anything: {counts} (seed {seed})"
    )
    assert counts == sorted(counts), f"records disappeared between kills: {counts} (seed {seed})"
