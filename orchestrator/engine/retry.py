"""Retry policies, built with tenacity from a step's `retry:` and the error's class.

What is retried: ConnectError, ServerError and OperationTimeout (TransientError), and
RemoteErrors whose ErrorId the module marks transient. What is never retried: AuthError. A
retry of a locked-out or wrong credential is exactly how clients and tools lock accounts out
(KB Q227033), which is the failure this tool exists to repair.

Three layers, each costing what the fault must:
- `resending`: one command sent again at once, on a fresh connection, within the step's
  deadline, when that cannot do anything twice: the command changes nothing (a probe, a
  verification), or the failure came before it could reach the host.
- `reprobing`: a changing command whose answer was lost on a live connection (dropped
  mid-exchange, an empty HTTP 500): it may have acted, so it is not resent; the step goes
  back to its probe at once, which sees a change that did happen and does not make it twice.
- `retrying`: the whole step again after the delays of the step's `retry:` policy, for a
  host that fails or cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta

import tenacity

from orchestrator.commands import Command
from orchestrator.deadline import Deadline
from orchestrator.errors import AuthError, RemoteError, TransientError
from orchestrator.playbook.model import RetryPolicy

DEFAULT_POLICY = RetryPolicy(
    attempts=3,
    delay=timedelta(seconds=5),
    backoff=2.0,
    max_delay=timedelta(minutes=1),
    jitter=timedelta(seconds=1),
)


def is_retryable(error: BaseException, transient_ids: Collection[str]) -> bool:
    """True for errors a retry may cure; never for an authentication failure."""
    if isinstance(error, AuthError):
        return False
    if isinstance(error, TransientError):
        return True
    return isinstance(error, RemoteError) and error.fq_error_id.split(",")[0] in transient_ids


def retrying(
    policy: RetryPolicy | None,
    transient_ids: Collection[str],
    *,
    sleep: Callable[[float], None],
    before_sleep: Callable[[int, float, BaseException], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity controller for one step on one host."""
    chosen = policy or DEFAULT_POLICY
    wait: tenacity.wait.wait_base = tenacity.wait_exponential(
        multiplier=chosen.delay.total_seconds(),
        exp_base=chosen.backoff,
        max=chosen.max_delay.total_seconds(),
    )
    if chosen.jitter > timedelta(0):
        wait = wait + tenacity.wait_random(0, chosen.jitter.total_seconds())
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(chosen.attempts),
        wait=wait,
        retry=tenacity.retry_if_exception(lambda e: is_retryable(e, transient_ids)),
        sleep=sleep,
        reraise=True,
        before_sleep=_notify(before_sleep),
    )


def _notify(
    callback: Callable[[int, float, BaseException], None] | None,
) -> Callable[[tenacity.RetryCallState], None] | None:
    if callback is None:
        return None

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        if error is not None:
            callback(state.attempt_number, delay, error)

    return before_sleep


RESENDS = 7  # a command is sent at most 1 + RESENDS times; each resend opens a new pool, whose
# own requests can fail as well, so a 10 % loss of requests needs several (tests/e2e/test_fanout)
RESEND_DELAY = 0.05  # seconds before the first resend, doubling up to RESEND_MAX_DELAY
RESEND_MAX_DELAY = 0.5


def resendable(command: Command, error: BaseException) -> bool:
    """Whether sending the command again at once is safe (it changes nothing, or it never
    reached the host) and may help (the host answered: a down host waits for the step's
    retry policy instead)."""
    if isinstance(error, AuthError) or not isinstance(error, TransientError):
        return False
    if not error.connected:
        return False
    return not command.mutating or command.idempotent or not error.may_have_run


def resending(
    command: Command,
    deadline: Deadline | None,
    *,
    sleep: Callable[[float], None],
    on_resend: Callable[[Command, int, float, BaseException], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity controller sending one command again at once, within `deadline`."""
    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(1 + RESENDS)
    if deadline is not None:
        stop = stop | _StopAtDeadline(deadline)
    return tenacity.Retrying(
        stop=stop,
        wait=tenacity.wait_exponential(multiplier=RESEND_DELAY, max=RESEND_MAX_DELAY),
        retry=tenacity.retry_if_exception(lambda e: resendable(command, e)),
        sleep=sleep,
        reraise=True,
        before_sleep=_told(command, on_resend),
    )


class _StopAtDeadline(tenacity.stop.stop_base):
    """Stop once the deadline has passed: no resend after the step's time is up."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        del retry_state  # only the clock decides
        return self.deadline.passed()


def _told(
    command: Command, callback: Callable[[Command, int, float, BaseException], None] | None
) -> Callable[[tenacity.RetryCallState], None] | None:
    if callback is None:
        return None
    told = callback
    return _notify(lambda attempt, delay, error: told(command, attempt, delay, error))


REPROBES = 4  # times a step goes back to its probe at once after a lost answer


def lost_answer(error: BaseException) -> bool:
    """A changing command's answer lost on a live connection: the step probes again at once."""
    if isinstance(error, AuthError) or not isinstance(error, TransientError):
        return False
    return error.connected and error.may_have_run and error.changing


def reprobing(
    *,
    sleep: Callable[[float], None],
    before_sleep: Callable[[int, float, BaseException], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity controller running a step attempt again at once after a lost answer."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(1 + REPROBES),
        wait=tenacity.wait_exponential(multiplier=RESEND_DELAY, max=RESEND_MAX_DELAY),
        retry=tenacity.retry_if_exception(lost_answer),
        sleep=sleep,
        reraise=True,
        before_sleep=_notify(before_sleep),
    )
