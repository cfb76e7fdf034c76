"""Retry policies, built with tenacity from a step's `retry:` and the error's class.

What is retried: ConnectError and OperationTimeout (TransientError), and RemoteErrors whose
ErrorId the module marks transient. What is never retried: AuthError. A retry of a locked-out
or wrong credential is exactly how clients and tools lock accounts out (Q227033), which is the
failure this tool exists to repair.

A retry re-runs the whole step (probe, diff, apply): a change that did happen before the
failure is seen by the new probe, so it is not made twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta

import tenacity

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
