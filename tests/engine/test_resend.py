"""Which failed commands are sent again at once: never twice a change that may have acted."""

from __future__ import annotations

import pytest

from orchestrator.commands import Command
from orchestrator.engine.retry import lost_answer, resendable
from orchestrator.errors import AuthError, ConnectError, RemoteError, TransportError
from orchestrator.modules.logic import change, read, settle

DROPPED = ConnectError("dropped mid-exchange")  # connected, may have run
NEVER_SENT = ConnectError("pool could not open", may_have_run=False)
DOWN = ConnectError("refused", connected=False, may_have_run=False)


@pytest.mark.parametrize(
    ("command", "error", "expected"),
    [
        (read("Get-LocalUser"), DROPPED, True),
        (change("Enable-LocalUser"), DROPPED, False),
        (change("Enable-LocalUser"), NEVER_SENT, True),
        (settle("Unregister-ScheduledTask"), DROPPED, True),
        (read("Get-LocalUser"), DOWN, False),
        (read("Get-LocalUser"), AuthError("401"), False),
        (read("Get-LocalUser"), RemoteError("x", fq_error_id="X"), False),
    ],
)
def test_what_is_resent_at_once(command: Command, error: Exception, expected: bool) -> None:
    """A read, a change that never left, or one safe twice: resent; a change that may have
    acted, a host that is down, a 401 or a cmdlet error: not."""
    assert resendable(command, error) is expected


def test_a_lost_answer_to_a_change_sends_the_step_back_to_its_probe() -> None:
    """Only a change whose answer was lost on a live connection is a lost answer."""
    changed = ConnectError("dropped")
    changed.changing = True
    assert lost_answer(changed)
    assert not lost_answer(ConnectError("dropped"))  # a read that gave up
    assert not lost_answer(DOWN)
    assert not lost_answer(TransportError("HTTP 400"))  # not transient
