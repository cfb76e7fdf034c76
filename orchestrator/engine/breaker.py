"""The credential circuit breaker: after one 401, a credential is not used again in the command.

WinRM cannot tell a wrong password from a locked-out account (both are 401), and every
attempt with a wrong password counts toward the lockout threshold (KB Q227033 shows clients
locking their account out exactly so). So the first rejection trips the breaker for that
credential everywhere: no further host is contacted with it. Until a credential has been
proven once, its first contacts are made one at a time (`first_contact`), so even two threads
that reach for it at the same moment cost at most one failed logon.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Rejection:
    """Where a credential was rejected."""

    credential: str
    username: str
    host: str
    reason: str = "HTTP 401"  # the refusal's, as AuthError.reason

    def explain(self) -> str:
        """The message a host that was not contacted gets."""
        return (
            f"not contacted: credential '{self.credential}' ({self.username}) was rejected by"
            f" {self.host}; exactly one attempt was made, so the account is not locked out by"
            " this run"
        )


class CredentialBreaker:
    """What one command knows of each credential: proven, rejected, or not tried yet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rejected: dict[str, Rejection] = {}
        self._accepted: dict[str, str] = {}  # credential -> the host that proved it
        self._first: dict[str, threading.Lock] = {}

    def trip(self, rejection: Rejection) -> bool:
        """Record a rejection; True if this is the first for the credential."""
        with self._lock:
            if rejection.credential in self._rejected:
                return False
            self._rejected[rejection.credential] = rejection
            return True

    def accept(self, credential: str, host: str) -> None:
        """Record that the credential logged on (the first host that proved it is kept)."""
        with self._lock:
            self._accepted.setdefault(credential, host)

    def rejection(self, credential: str | None) -> Rejection | None:
        """The rejection of a credential, if it was rejected."""
        if credential is None:
            return None
        with self._lock:
            return self._rejected.get(credential)

    def proven(self, credential: str) -> str | None:
        """The host on which the credential logged on, if it did."""
        with self._lock:
            return self._accepted.get(credential)

    def rejections(self) -> list[Rejection]:
        """Every rejection, in the order they happened."""
        with self._lock:
            return list(self._rejected.values())

    @contextmanager
    def first_contact(self, credential: str) -> Iterator[None]:
        """Hold the credential's turn while it is unproven: one logon attempt at a time."""
        with self._lock:
            if credential in self._accepted:
                turn = None
            else:
                turn = self._first.setdefault(credential, threading.Lock())
        if turn is None:
            yield
            return
        with turn:
            yield
