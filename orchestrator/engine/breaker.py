"""The credential circuit breaker: after one 401, a credential is not used again in the run.

WinRM cannot tell a wrong password from a locked-out account (both are 401), and every
attempt with a wrong password counts toward the lockout threshold. So the first rejection
trips the breaker for that credential everywhere: no further host is contacted with it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Rejection:
    """Where a credential was rejected."""

    credential: str
    username: str
    host: str

    def explain(self) -> str:
        """The message a host that was not contacted gets."""
        return (
            f"not contacted: credential '{self.credential}' ({self.username}) was rejected by"
            f" {self.host}; exactly one attempt was made, so the account is not locked out by"
            " this run"
        )


class CredentialBreaker:
    """Remembers rejected credentials; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rejected: dict[str, Rejection] = {}

    def trip(self, rejection: Rejection) -> bool:
        """Record a rejection; True if this is the first for the credential."""
        with self._lock:
            if rejection.credential in self._rejected:
                return False
            self._rejected[rejection.credential] = rejection
            return True

    def rejection(self, credential: str | None) -> Rejection | None:
        """The rejection of a credential, if it was rejected."""
        if credential is None:
            return None
        with self._lock:
            return self._rejected.get(credential)

    def rejections(self) -> list[Rejection]:
        """Every rejection, in the order they happened."""
        with self._lock:
            return list(self._rejected.values())
