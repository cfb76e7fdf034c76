"""`orchestrator diagnose`'s logic, pure and free of I/O.

    facts.py     what was read, as frozen values (readers.py builds them, sans-IO)
    accounts.py  clients.py  guest.py  findings.py   what the facts mean
    rules.py     which of Q236052's methods (or Q237759's rotation) applies, and why
    outcome.py   `diagnose(facts) -> Diagnosis`
    render.py  markdown.py  json_schema.py   the diagnosis for people and machines

app/diagnose.py drives the readers through the command's fan-out and hands the facts here.
"""

from __future__ import annotations

from orchestrator.diagnosis.facts import Facts
from orchestrator.diagnosis.outcome import Diagnosis, diagnose

__all__ = ["Diagnosis", "Facts", "diagnose"]
