"""A diagnosis: the findings and each method's verdict, from the facts, with no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.diagnosis.facts import Facts
from orchestrator.diagnosis.findings import Findings, find
from orchestrator.diagnosis.rules import assess
from orchestrator.diagnosis.verdicts import Assessment, Verdict


@dataclass(frozen=True)
class Diagnosis:
    """What was found, and which method applies."""

    findings: Findings
    methods: tuple[Assessment, ...]

    @property
    def facts(self) -> Facts:
        """What was read."""
        return self.findings.facts

    @property
    def complete(self) -> bool:
        """Everything could be read."""
        return not self.facts.unread

    @property
    def recommended(self) -> tuple[Assessment, ...]:
        """The methods to run (a recovery and, or, the rotation), in order."""
        return tuple(
            a
            for a in self.methods
            if a.verdict is Verdict.RECOMMENDED and a.method.playbook is not None
        )

    @property
    def healthy(self) -> bool:
        """Read, and nothing to recover, nothing to prevent."""
        read = self.facts.site is not None
        return read and self.findings.healthy and not self.recommended

    def state(self) -> str:
        """One word for the site: broken, at-risk (working, prevention due), healthy, or
        unknown (the site itself could not be read)."""
        if not self.findings.healthy:
            return "broken"
        if self.facts.site is None:
            return "unknown"
        return "at-risk" if self.recommended else "healthy"


def diagnose(facts: Facts) -> Diagnosis:
    """The diagnosis of what was read."""
    findings = find(facts)
    return Diagnosis(findings, assess(findings))
