"""The whole simulated domain: AD, hosts, the SMS site and its clients, on one clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.lab.clock import Clock
from orchestrator.lab.domain.accounts import AccountStore, UserAccount
from orchestrator.lab.domain.directory import ActiveDirectory
from orchestrator.lab.domain.fidelity import Fidelity
from orchestrator.lab.domain.host import Host
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.domain.sms import SmsClient, SmsSite
from orchestrator.lab.domain.tasks import ScheduledTask

TaskRunner = Callable[["LabState", Host, ScheduledTask], int]
"""Runs a task's actions as SYSTEM and returns its LastTaskResult (the cmdlet layer's job)."""


def _no_runner(_state: LabState, _host: Host, _task: ScheduledTask) -> int:
    return 1


@dataclass(eq=False)
class LabState:
    """Root of the model; mutated only under the backend's lock."""

    ad: ActiveDirectory
    clock: Clock
    fidelity: Fidelity
    site: SmsSite | None = None
    hosts: dict[str, Host] = field(default_factory=dict)  # lower name -> host, in order
    clients: dict[str, SmsClient] = field(default_factory=dict)  # lower host name -> client
    task_runner: TaskRunner = _no_runner

    def add_host(self, host: Host) -> Host:
        """Register a host (names are unique, case-insensitive)."""
        if host.name.lower() in self.hosts:
            raise ValueError(f"duplicate host {host.name}")
        self.hosts[host.name.lower()] = host
        return host

    def host(self, name: str) -> Host | None:
        """A host by name (case-insensitive)."""
        return self.hosts.get(name.lower())

    def now(self) -> datetime:
        """Virtual time (the domain's, without any host's skew)."""
        return self.clock.now()

    def host_now(self, host: Host) -> datetime:
        """What `host`'s own clock reads (fault injection: per-host skew)."""
        return self.clock.now() + host.skew

    def store_for(self, host: Host) -> AccountStore:
        """The SAM that answers local-account questions on `host` (the domain's on a DC)."""
        return host.sam if host.sam is not None else self.ad.store

    def policy_for(self, host: Host, user: UserAccount) -> LockoutPolicy:
        """The lockout policy that governs `user` (the domain's or the host's local policy)."""
        if self.ad.store.by_sid(user.sid) is user:
            return self.ad.lockout
        return host.lockout

    def dc_reachable(self) -> bool:
        """True while some domain controller is up (pass-through authentication needs one)."""
        return any(h.is_dc and h.up for h in self.hosts.values())

    def client(self, host_name: str) -> SmsClient | None:
        """The SMS client on a host, if any."""
        return self.clients.get(host_name.lower())
