"""What every rendering of a diagnosis shares: its header and the words for its values."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from orchestrator.diagnosis.clients import ClientFinding
from orchestrator.diagnosis.findings import Severity
from orchestrator.diagnosis.guest import ClientHostFinding
from orchestrator.diagnosis.outcome import Diagnosis
from orchestrator.diagnosis.verdicts import Verdict

SCHEMA_VERSION = 1
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Rejected:
    """A credential the hosts rejected (never its password)."""

    credential: str
    username: str
    host: str


@dataclass(frozen=True)
class Header:
    """Where the diagnosis comes from and how the command ends."""

    inventory: str
    site_code: str
    exit_code: int
    version: str
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))
    limit: str | None = None
    rejected: tuple[Rejected, ...] = ()


RESULT = {
    0: "healthy: nothing to recover",
    1: "incomplete: something could not be read",
    5: "a credential was rejected",
    6: "recovery or prevention recommended",
}
STATE = {
    "broken": "broken: clients need recovery",
    "at-risk": "working, prevention recommended",
    "healthy": "healthy",
    "unknown": "unknown: the site could not be read",
}
SEVERITY_MARK = {Severity.PROBLEM: "✖", Severity.WARNING: "⚠", Severity.INFO: "i"}
VERDICT_MARK = {
    Verdict.RECOMMENDED: "✔",
    Verdict.ALTERNATIVE: "~",
    Verdict.BLOCKED: "✖",
    Verdict.NOT_NEEDED: "-",
}


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def yes_no(value: bool | None, unknown: str = "unknown") -> str:
    """yes, no, or `unknown`."""
    if value is None:
        return unknown
    return "yes" if value else "no"


def shown(value: object, unknown: str = "-") -> str:
    """A value as text; None as `unknown`."""
    return unknown if value is None else str(value)


def names(items: tuple[str, ...] | list[str]) -> str:
    """A comma-separated list, or `-`."""
    return ", ".join(items) or "-"


def title(diagnosis: Diagnosis, header: Header) -> str:
    """`Diagnosis of site TB1: broken: clients need recovery`."""
    return f"Diagnosis of site {header.site_code}: {STATE[diagnosis.state()]}"


def result(header: Header) -> str:
    """What the exit code says."""
    return f"{RESULT.get(header.exit_code, 'see the findings')} (exit code {header.exit_code})"


def grouped(items: Iterable[T], key: Callable[[T], K]) -> list[tuple[K, list[T]]]:
    """Items with the same key together, in the order each key first appears: a site of a
    thousand clients failing alike is one row, not a thousand."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.items())


def client_key(c: ClientFinding) -> tuple[str, str, str, str]:
    """What makes two clients' rows the same: status, error, accounts held, why."""
    status = c.status + (" (stuck)" if c.stuck else "")
    held = ", ".join(f"{n} ({s})" for n, s in c.accounts) or "-"
    return status, c.error.describe().split(":")[0], held, c.explanation


def client_host_key(h: ClientHostFinding) -> tuple[str, str, str, str]:
    """What makes two client hosts' rows the same."""
    value = shown(h.allow_insecure_guest_auth, "not set" if h.read else "-")
    return value, yes_no(h.accepts_guest, "unconfirmed"), yes_no(h.smsman, "-"), h.guest_reason


def without_playbook(d: Diagnosis) -> str:
    """What to say when no playbook is recommended."""
    nothing = next((a for a in d.methods if a.method.key == "nothing"), None)
    if nothing is not None and nothing.verdict is Verdict.RECOMMENDED:
        return "Nothing to do: the site is healthy."
    if d.facts.site is None:
        return "The site could not be read: nothing can be recommended."
    return "No method can run as things stand: see the blockers below."
