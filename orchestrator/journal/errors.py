"""What the journal raises; every one is an OrchestratorError, sqlite3 errors never escape.

OrchestratorError
  JournalError            the journal cannot be read or written (sqlite3 errors, translated)
    JournalVersionError   the database was written by a newer orchestrator: refused untouched
    SecretInJournalError  a value bound for the journal holds a secret: nothing was written
  LockHeldError           (lock.py) another holder has the domain's run lock
  LockLostError           (lock.py) our lock was broken or its lease expired
"""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class JournalError(OrchestratorError):
    """The journal cannot be read or written."""


class JournalVersionError(JournalError):
    """The journal's schema is newer than this orchestrator understands."""


class SecretInJournalError(JournalError):
    """A secret was about to be written to the journal; the write was refused."""
