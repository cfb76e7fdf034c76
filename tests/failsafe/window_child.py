"""A stand-in orchestrator for test_kill.py, run as its own process: over pypsrp it opens Guest
on CAP1 inside a window in the engine's order (probe, undo known, arm, apply), prints each
stage, and hangs after `stop_after` until it is killed.

    python window_child.py INVENTORY NOW DEADLINE STOP_AFTER
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from orchestrator.commands import Command, Transport
from orchestrator.engine.failsafe import FailsafePlan, arm, read_clock
from orchestrator.engine.step import drive
from orchestrator.inventory.loader import load_inventory
from orchestrator.modules import MODULES
from orchestrator.modules.protocol import Logic, StepContext, T
from orchestrator.secrets import SecretResolver
from orchestrator.transport.psrp import PsrpConnector

HOST = "CAP1"
STEPS = (
    ("local_user", {"sid": "S-1-5-21-*-501", "enabled": True}),
    ("local_group_member", {"group_sid": "S-1-5-32-545", "members": ["S-1-5-21-*-501"]}),
)
STAGES = ("armed-1", "applied-1", "armed-2", "applied-2")


def _stage(name: str, stop_after: str) -> None:
    print(name, flush=True)  # noqa: T201 -- the test reads the stages on stdout
    if name == stop_after:
        time.sleep(600)  # the test kills this process here (SIGKILL)


def _window(transport: Transport, now: datetime, deadline: datetime, stop_after: str) -> None:
    def run(logic: Logic[T]) -> T:
        return drive(logic, transport, sleep=time.sleep)

    clock = run(read_clock(now))
    changes: list[tuple[Command, ...]] = []
    for index, (module, raw) in enumerate(STEPS, start=1):
        implementation, ctx = MODULES[module].implementation, StepContext(HOST)
        args = MODULES[module].args.model_validate(raw)
        state = run(implementation.probe(args, ctx))
        changes.append(implementation.undo(args, state) or ())
        run(arm(FailsafePlan("kill-run", "guest-access", HOST, deadline, clock, tuple(changes))))
        _stage(f"armed-{index}", stop_after)
        run(implementation.apply(args, state, ctx))
        _stage(f"applied-{index}", stop_after)


def main(argv: list[str]) -> int:
    """Load the lab's inventory, log on to CAP1, and run the window until killed."""
    path, now, deadline, stop_after = argv
    inventory = load_inventory(Path(path))
    secrets = SecretResolver(interactive=False).resolve(inventory.secret_requests(inventory.hosts))
    logins = {c.name: (c.username, secrets[c.secret_name]) for c in inventory.credentials.values()}
    host = inventory.host(HOST)
    assert host is not None
    with PsrpConnector(inventory, logins) as connector:
        transport = connector.transport(host)
        _window(
            transport, datetime.fromisoformat(now), datetime.fromisoformat(deadline), stop_after
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
