"""No secret reaches the journal's files, through any write path (the canary test)."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.commands import Command
from orchestrator.journal import (
    ChangeState,
    EventKind,
    Journal,
    LockPurpose,
    RunLock,
    SecretInJournalError,
    WindowStatus,
    canonical_json,
)
from orchestrator.logging import Redactor
from orchestrator.secrets import Secret

from .conftest import T0, FakeClock


def _files(state: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in state.iterdir() if p.is_file()}


def _leaks(state: Path, canary: str) -> list[str]:
    needles = [canary.encode(), base64.b64encode(canary.encode()), canary.encode("utf-16-le")]
    return [name for name, data in _files(state).items() if any(n in data for n in needles)]


def _write_everything(journal: Journal, tmp_path: Path, canary: str, secret: Secret) -> None:
    """Every write path, each given the secret as an object and its value inside text."""
    playbook = tmp_path / "play.yml"
    playbook.write_text("steps: []\n")
    with pytest.raises(SecretInJournalError):
        journal.start_run(
            playbook=playbook,
            inventory=playbook,
            vars_json=f'{{"pw":"{canary}"}}',
            domain_key="lab",
        )
    run = journal.start_run(
        playbook=playbook, inventory=playbook, vars_json=canonical_json({"pw": secret}),
        domain_key=f"lab-{canary}",
    )  # fmt: skip
    journal.record_event(
        run.id, EventKind.HOST_STEP_FINISHED, host=f"h-{canary}", step=f"s-{canary}", step_index=0,
        status=f"failed {canary}",
        detail={"summary": f"set {canary}", "secret": secret, "nested": [{"deep": secret}],
                f"key-{canary}": 1, "error": f"RuntimeError: {canary}"},
    )  # fmt: skip
    window = journal.open_window(run.id, f"w-{canary}", T0 + timedelta(hours=1), f"task-{canary}")
    change = journal.record_intent(
        run.id, host="h", step=f"s-{canary}", step_index=0, module="ad_user",
        args={"password": secret, "note": f"pw {canary}", "list": [secret]},
        before={"pw": secret}, after={"pw": f"{canary}"},
        undo=[Command.of("Remove-ADUser", mutating=True, Identity="svc")],
        window_id=window, failsafe_task=f"t-{canary}", failsafe_path=f"\\{canary}\\",
    )  # fmt: skip
    for undo in (
        [Command.of("Set-ADAccountPassword", NewPassword=secret)],
        [Command.of("Set-X", Value=canary)],
    ):
        with pytest.raises(SecretInJournalError):
            journal.record_intent(
                run.id, host="h", step="s", step_index=1, module="m", args={}, before={},
                after={}, undo=undo,
            )  # fmt: skip
    journal.attach_failsafe(change, f"t2-{canary}", f"p2-{canary}")
    for armed in ({"commands": [secret]}, {"commands": [["Password", canary]]}):
        with pytest.raises(SecretInJournalError):
            journal.record_failsafe(window, "h", task_name="t", task_path="\\", armed=armed)
    with pytest.raises(SecretInJournalError):
        journal.record_failsafe(window, "h", task_name=canary, task_path="\\", armed={})
    journal.mark(change, ChangeState.UNDO_FAILED, error=f"Set-ADUser: password {canary} rejected")
    journal.close_window(window, WindowStatus.ROLLBACK_INCOMPLETE)
    lock = RunLock(journal, "lab", run_id=run.id, purpose=LockPurpose.RUN)
    lock.acquire()
    lock.set_deadline(T0)
    lock.renew()


def test_canary_never_reaches_the_database_or_its_wal(tmp_path: Path, clock: FakeClock) -> None:
    """A secret passed through every write path is in neither the database file nor its WAL."""
    canary = f"Canary-{uuid.uuid4().hex}"
    secret = Secret(canary, "canary")
    redactor = Redactor()
    redactor.add(secret)
    state = tmp_path / "state"
    journal = Journal.open(state, redactor=redactor, clock=clock)
    try:
        _write_everything(journal, tmp_path, canary, secret)
        assert (state / "journal.sqlite3-wal").stat().st_size > 0  # the WAL holds the writes
        assert _leaks(state, canary) == []
        (change,) = journal.changes(journal.runs()[0].id)
        assert change.args["password"] == "********"
        assert change.error == "Set-ADUser: password ******** rejected"
    finally:
        journal.close()
    assert _leaks(state, canary) == []


def test_canary_test_can_fail(tmp_path: Path, clock: FakeClock) -> None:
    """Without the redactor the canary inside text is found: the grep above really looks."""
    canary = f"Canary-{uuid.uuid4().hex}"
    state = tmp_path / "state"
    with Journal.open(state, clock=clock) as journal:
        playbook = tmp_path / "p.yml"
        playbook.write_text("x")
        run = journal.start_run(
            playbook=playbook, inventory=playbook, vars_json="{}", domain_key="d"
        )
        journal.record_event(run.id, EventKind.NOTE, detail={"summary": canary})
        assert _leaks(state, canary) == ["journal.sqlite3-wal"]
