"""The credential preflight shared by runs and plans: one authentication per credential.

The first host of a credential that answers proves it (accepted) or disproves it (rejected:
the breaker then keeps every other host of that credential from being tried, since retries are
how accounts get locked out). An unreachable host proves nothing, so the next host of the same
credential is tried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Protocol

from orchestrator.errors import AuthError, ConnectError, OrchestratorError
from orchestrator.inventory.model import Host


class PreflightReport(Protocol):
    """What the caller does with each answer."""

    def accepted(self, host: Host) -> None:
        """The credential of `host` authenticated."""
        ...

    def rejected(self, host: Host) -> None:
        """The credential of `host` was refused (HTTP 401)."""
        ...

    def unreachable(self, host: Host, error: ConnectError) -> None:
        """`host` could not be reached; the credential is still unproven."""
        ...

    def failed(self, host: Host, error: OrchestratorError) -> None:
        """Another error on `host` (after any retries `authenticate` makes)."""
        ...


def check_credentials(
    pool: ThreadPoolExecutor,
    hosts: Sequence[Host],
    authenticate: Callable[[Host], None],
    report: PreflightReport,
) -> None:
    """Authenticate once per distinct credential, the credentials in parallel."""
    by_credential: dict[str | None, list[Host]] = {}
    for host in hosts:
        by_credential.setdefault(host.connection.credential, []).append(host)
    futures = [
        pool.submit(_first_answer, group, authenticate, report) for group in by_credential.values()
    ]
    wait(futures)
    for future in futures:
        future.result()  # a bug in a preflight thread must not pass silently


def _first_answer(
    hosts: list[Host], authenticate: Callable[[Host], None], report: PreflightReport
) -> None:
    for host in hosts:
        try:
            authenticate(host)
        except AuthError:
            report.rejected(host)
        except ConnectError as exc:
            report.unreachable(host, exc)
            continue
        except OrchestratorError as exc:
            report.failed(host, exc)
        else:
            report.accepted(host)
        return
