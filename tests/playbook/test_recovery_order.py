"""The order of a recovery's steps around the connection account's lockout (Q227033).

A client holding the old password locks the account out again at its next retry: an unlock
helps only once no client holds it. So in every recovery playbook, an unlock before a wait for
clients comes after the last step that changes the clients' software (a repair, an
uninstall, a reinstall), and only service restarts lie between the unlock and the wait.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.modules import MODULES
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.model import Step

ROOT = Path(__file__).resolve().parents[2]
RECOVERIES = ["smsman-reinstall.yml", "orphan-and-reinstall.yml"]


def _is_unlock(step: Step) -> bool:
    return step.module == "ad_user" and step.args.get("unlocked") is True


def _waits_for_clients(step: Step) -> bool:
    return step.module == "wait_for" and "sms_client_status" in step.args.get("probe", {})


@pytest.mark.parametrize("name", RECOVERIES)
def test_the_account_is_unlocked_after_the_clients_software_changes(name: str) -> None:
    steps = list(load_playbook(ROOT / "playbooks" / name, MODULES).steps())
    checked = 0
    for index, step in enumerate(steps):
        if not _is_unlock(step):
            continue
        following = next(s for s in steps[index + 1 :] if _waits_for_clients(s))
        between = steps[index + 1 : steps.index(following)]
        assert all(s.module == "service" for s in between), (step.name, [s.name for s in between])
        checked += 1
    assert checked, f"{name} unlocks the connection account nowhere"
