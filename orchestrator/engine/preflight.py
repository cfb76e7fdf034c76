"""The credential preflight, run by the fan-out before any change: one policy for every command.

1. Every host is asked whether it is there, all at once (bounded by `forks`), with no logon:
   a host that is down costs one short connect timeout and leaves the command unreachable;
   a dropped answer is asked again at once (a flaky network is not a host that is down).
2. Each credential then logs on once, the credentials in parallel, on the first of its hosts
   that answered: accepted, or rejected (the breaker keeps every other host of that
   credential from being tried: retries are how accounts get locked out). A host that stops
   answering in between proves nothing, so the next host of the credential is tried.

Credentials decided earlier in the same command (run --plan, resume) are not tried again;
the preflight's events are emitted for each phase, so each report shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import tenacity

from orchestrator.engine import events as ev
from orchestrator.errors import AuthError, OrchestratorError, TransientError
from orchestrator.inventory.model import Host

if TYPE_CHECKING:
    from orchestrator.engine.fanout import Fanout

ASKS = 3  # times a host is asked whether it is there before it counts as unreachable
LOGON_TRIES = 4  # logons tried on one host when the network (not the credential) fails


def check(fanout: Fanout, hosts: Sequence[Host]) -> None:
    """The preflight over these hosts; its results are emitted on the fan-out's events."""
    from orchestrator.engine.fanout import OutKind

    earlier = {r.credential for r in fanout.rejections()}
    unasked = [h for h in fanout.active(hosts) if not fanout.was_reached(h)]
    for host, error in zip(unasked, fanout.map(unasked, _ask(fanout)), strict=True):
        if error is not None:
            fanout.take_out(host, OutKind.UNREACHABLE, str(error))
    groups = _undecided(fanout, fanout.active(hosts))
    fanout.map(groups, lambda group: _log_on(fanout, group))
    _announce(fanout, hosts, earlier)


def _ask(fanout: Fanout) -> Callable[[Host], OrchestratorError | None]:
    def ask(host: Host) -> OrchestratorError | None:
        try:
            _at_once(ASKS)(fanout.reachable, host)
        except OrchestratorError as exc:
            return exc
        return None

    return ask


def _undecided(fanout: Fanout, hosts: Sequence[Host]) -> list[list[Host]]:
    """The hosts of each credential that has not logged on (or been refused) yet."""
    groups: dict[str, list[Host]] = {}
    for host in hosts:
        credential = host.connection.credential or "(none)"
        if fanout.breaker.proven(credential) is None and fanout.rejection(host) is None:
            groups.setdefault(credential, []).append(host)
    return list(groups.values())


def _log_on(fanout: Fanout, hosts: list[Host]) -> None:
    from orchestrator.engine.fanout import OutKind

    for host in hosts:
        try:
            _at_once(LOGON_TRIES)(fanout.authenticate, host)
        except AuthError:
            return  # the fan-out tripped the breaker: no other host of it is tried
        except TransientError as exc:
            fanout.take_out(host, OutKind.UNREACHABLE, str(exc))
            continue
        except OrchestratorError as exc:
            fanout.take_out(host, OutKind.FAILED, f"cannot log on: {exc}")
            continue
        return


def _at_once(tries: int) -> tenacity.Retrying:
    """Transient failures asked again at once (a dropped answer), never an AuthError, nor a
    host no connection could be made to (down: asking again would only wait again)."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(tries),
        wait=tenacity.wait_exponential(multiplier=0.05, max=0.5),
        retry=tenacity.retry_if_exception(
            lambda e: isinstance(e, TransientError) and not isinstance(e, AuthError) and e.connected
        ),
        reraise=True,
    )


def _announce(fanout: Fanout, hosts: Sequence[Host], earlier: set[str]) -> None:
    """The preflight's results for these hosts, as events: each credential accepted or
    rejected (a rejection made now was emitted when it happened; `earlier` ones, of a phase
    before, are emitted again for this phase's report), and each host out before the steps."""
    seen: set[str] = set()
    for host in hosts:
        credential, username = fanout.who(host)
        if credential in seen:
            continue
        proven = fanout.breaker.proven(credential)
        rejection = fanout.rejection(host)
        if proven is not None:
            seen.add(credential)
            fanout.events.emit(ev.CredentialAccepted(credential, username, proven))
        elif rejection is not None:
            seen.add(credential)
            if credential in earlier:
                fanout.events.emit(
                    ev.CredentialRejected(credential, username, rejection.host, rejection.reason)
                )
    for host in hosts:
        if fanout.exclusion(host) is not None and _out_before_steps(fanout, host):
            fanout.report_out(host)


def _out_before_steps(fanout: Fanout, host: Host) -> bool:
    """Out for its own reasons (down, or the host that refused the credential); the other
    hosts of a refused credential are reported per step as not contacted."""
    rejection = fanout.rejection(host)
    return rejection is None or rejection.host == host.name
