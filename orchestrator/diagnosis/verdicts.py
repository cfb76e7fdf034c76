"""What a method rule says, and the verdict it earns (rules.py holds the rules)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Verdict(enum.StrEnum):
    """A method's verdict."""

    RECOMMENDED = "recommended"
    ALTERNATIVE = "alternative"
    BLOCKED = "blocked"
    NOT_NEEDED = "not-needed"


@dataclass(frozen=True)
class Method:
    """One row of the table: a method, its source and its playbook."""

    key: str
    title: str
    source: str
    playbook: str | None
    recovery: bool  # a recovery method (the first that can run is recommended)


@dataclass(frozen=True)
class Evaluation:
    """What a rule says: whether the method applies, why, what blocks it, what it touches."""

    applies: bool
    reasons: tuple[str, ...] = ()
    blockers: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    extra_vars: tuple[str, ...] = ()  # -e key=value the playbook needs here


@dataclass(frozen=True)
class Assessment:
    """A method with its verdict and the rule's evaluation."""

    method: Method
    verdict: Verdict
    evaluation: Evaluation = field(default_factory=lambda: Evaluation(applies=False))

    def command(self, inventory: str) -> str | None:
        """The `orchestrator plan` to review before running the playbook (None: no playbook)."""
        if self.method.playbook is None:
            return None
        parts = ["orchestrator plan", self.method.playbook, "-i", inventory]
        parts += [f"-e {value}" for value in self.evaluation.extra_vars]
        return " ".join(parts)
