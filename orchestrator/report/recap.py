"""The per-host recap, as Ansible prints it: ok, changed, failed, skipped, unreachable."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.engine import events as ev
from orchestrator.engine.step import Status


@dataclass
class HostCounts:
    """How a host's steps ended."""

    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: int = 0
    ignored: int = 0

    def add(self, event: ev.HostStepFinished) -> None:
        """Count one finished step."""
        if event.ignored:
            self.ignored += 1
        setattr(self, event.status.value, getattr(self, event.status.value) + 1)


@dataclass
class Recap:
    """An observer that counts step results per host, in the order hosts first appear."""

    hosts: dict[str, HostCounts] = field(default_factory=dict)
    rejected: list[ev.CredentialRejected] = field(default_factory=list)

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            for host in event.hosts:
                self.hosts.setdefault(host, HostCounts())
        elif isinstance(event, ev.HostStepFinished):
            self.hosts.setdefault(event.host, HostCounts()).add(event)
        elif isinstance(event, ev.CredentialRejected):
            self.rejected.append(event)

    def failed_hosts(self) -> list[str]:
        """Hosts with a failure that was not ignored, or that could not be reached."""
        return [name for name, c in self.hosts.items() if c.unreachable or c.failed > c.ignored]


STATUS_STYLE = {
    Status.OK: "green",
    Status.CHANGED: "yellow",
    Status.FAILED: "red",
    Status.SKIPPED: "cyan",
    Status.UNREACHABLE: "bold red",
}
