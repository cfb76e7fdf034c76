"""How long reverting a window takes at worst: what a window keeps free before its deadline.

Pure arithmetic shared by `validate` (a lower bound before any host is contacted), the plan
(with measured latencies) and the run (which stops forward work when only this much is left).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VERIFY_MARGIN = 1.5  # an undo costs its commands plus a verifying probe: 1.5x the commands


@dataclass(frozen=True)
class Budget:
    """How long reverting a window takes at worst, and how that was computed."""

    hosts: int
    forks: int
    waves: int
    commands_per_host: int
    latency: float
    connect_timeout: float

    @property
    def seconds(self) -> float:
        """Waves of hosts, each wave its commands at the slowest latency, plus one timeout."""
        per_host = self.commands_per_host * self.latency * VERIFY_MARGIN + self.connect_timeout
        return self.waves * per_host

    def explain(self) -> str:
        """The numbers, for a refusal or a log line."""
        return (
            f"{self.hosts} hosts in {self.waves} waves of {self.forks} forks, up to"
            f" {self.commands_per_host} undo commands per host at {self.latency:.2f}s each"
            f" (x{VERIFY_MARGIN} to verify), plus a {self.connect_timeout:.0f}s connection"
            f" timeout per wave: {self.seconds:.0f}s"
        )


def revert_budget(
    *,
    hosts: int,
    forks: int,
    steps: int,
    latency: float,
    connect_timeout: float,
) -> Budget:
    """The worst-case revert time of a window over `hosts` with `steps` changing steps each.

    Each step may need up to two undo commands on a host, and each host a disarm: that is
    the number of commands per host. Hosts are reverted `forks` at a time.
    """
    waves = max(1, math.ceil(hosts / max(1, forks)))
    return Budget(hosts, forks, waves, 2 * steps + 1, latency, connect_timeout)
