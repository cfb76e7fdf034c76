"""What happens on the clock without anyone connected: task triggers, hosts going down and
coming back, clock skew changes, PAM TTL expiry.

Task rules: a one-shot TimeTrigger fires when the *host's* clock reaches StartBoundary. If the
host is down then, the run is missed; when it is up again a missed run starts 10 minutes later
only if StartWhenAvailable is set AND the trigger has an EndBoundary that has not passed.
After EndBoundary + DeleteExpiredTaskAfter the task is deleted (ITaskSettings::StartWhenAvailable
and DeleteExpiredTaskAfter on Microsoft Learn).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orchestrator.lab.domain import ccim
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.state import LabState
from orchestrator.lab.domain.tasks import ScheduledTask, TaskState

MISSED_RUN_DELAY = timedelta(minutes=10)  # default delay, ITaskSettings::StartWhenAvailable


def _lab_time(host: Host, host_time: datetime) -> datetime:
    """When the lab clock reaches the instant `host`'s (skewed) clock shows `host_time`."""
    return host_time - host.skew


def arm_task(state: LabState, host: Host, task: ScheduledTask) -> None:
    """(Re)schedule a task's trigger and its expiry deletion. A trigger already in the past
    (registered late, or moved by a clock change) is treated as a missed run."""
    disarm_task(state, task)
    spec = task.definition
    start = spec.start_boundary
    if start is not None and spec.trigger_enabled and not task.fired:
        if task.queued_for is None and start < state.host_now(host):
            _late(state, host, task, count_missed=False)
        if not task.fired:
            due = _lab_time(host, task.queued_for or start)
            task.events.append(state.clock.schedule(due, lambda: _fire(state, host, task), "task"))
    if spec.end_boundary is not None and spec.delete_expired_after is not None:
        due = _lab_time(host, spec.end_boundary + spec.delete_expired_after)
        task.events.append(state.clock.schedule(due, lambda: _expire(state, host, task), "del"))


def disarm_task(state: LabState, task: ScheduledTask) -> None:
    """Cancel a task's pending events (unregistered or replaced)."""
    for event in task.events:
        state.clock.cancel(event)
    task.events.clear()


def _key(task: ScheduledTask) -> str:
    return (task.path + task.name).lower()


def _fire(state: LabState, host: Host, task: ScheduledTask) -> None:
    if host.tasks.get(_key(task)) is not task:
        return
    if not host.up:
        return  # decided when the host comes back (missed or queued)
    run_task(state, host, task)


def run_task(state: LabState, host: Host, task: ScheduledTask, *, on_demand: bool = False) -> None:
    """Run the task's actions now: its trigger or queued missed run, or on demand
    (Start-ScheduledTask), which leaves a trigger still to come armed, as NextRunTime shows."""
    if not on_demand:
        task.fired = True
        task.queued_for = None
    if not task.definition.enabled:
        return
    task.state = TaskState.Running
    task.last_run_time = state.host_now(host)
    task.last_result = state.task_runner(state, host, task)
    task.state = TaskState.Ready


def _expire(state: LabState, host: Host, task: ScheduledTask) -> None:
    if host.tasks.get(_key(task)) is task:
        disarm_task(state, task)
        del host.tasks[_key(task)]


def set_host_up(state: LabState, host: Host, up: bool) -> None:
    """Take a host down or bring it back (boot: services start, missed tasks are decided)."""
    if host.up == up:
        return
    host.up = up
    if not up:
        return
    for task in list(host.tasks.values()):
        _after_boot(state, host, task)
    ccim.on_service_started(state, host)


def _after_boot(state: LabState, host: Host, task: ScheduledTask) -> None:
    spec = task.definition
    start = spec.start_boundary
    if task.fired or start is None or not spec.trigger_enabled or start > state.host_now(host):
        return
    if _late(state, host, task, count_missed=True):
        arm_task(state, host, task)


def _late(state: LabState, host: Host, task: ScheduledTask, *, count_missed: bool) -> bool:
    """A start time that passed unseen: queue the run 10 minutes on if StartWhenAvailable
    applies (it needs an EndBoundary still ahead); else it never runs. True if queued."""
    spec = task.definition
    host_now = state.host_now(host)
    end = spec.end_boundary
    if spec.start_when_available and end is not None and host_now < end:
        task.queued_for = host_now + MISSED_RUN_DELAY
        task.state = TaskState.Queued
        return True
    task.fired = True
    task.missed_runs += 1 if count_missed else 0
    return False


def set_skew(state: LabState, host: Host, skew: timedelta) -> None:
    """Change what the host's clock reads; its task triggers move with it."""
    host.skew = skew
    for task in host.tasks.values():
        arm_task(state, host, task)


def schedule_ttl_expiry(state: LabState, expires_at: datetime) -> None:
    """Drop expired PAM links at their deadline (reads are TTL-aware anyway)."""

    def expire() -> None:
        state.ad.expire_memberships(state.now())

    state.clock.schedule(expires_at, expire, "ttl")
