"""Waiting for the article's state: the clients' failed check-ins lock their account out."""

from __future__ import annotations

import time

from orchestrator.lab.harness import RunningLab


def wait_until_locked(lab: RunningLab, account: str = "SMSClient_TB1") -> None:
    """Return once `account` is locked out (nt4 era: 5 failures); fail after 30 s."""
    for _ in range(300):
        view = lab.backend.ad_account(account)
        if view is not None and view.locked_out:
            return
        time.sleep(0.1)
    raise AssertionError(f"the clients never locked {account} out")
