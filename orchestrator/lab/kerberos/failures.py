"""Failed Kerberos pre-authentications, read from kdc.log, fed to the directory's lockout.

On a DC a wrong password at the KDC raises the account's badPwdCount like any other failed
logon, and enough of them lock it out ("Account lockout threshold", Microsoft Learn). The lab's
KDC counts them itself (its policy is the domain's), and this feed makes the directory count them
too: krb5kdc logs one line per AS request with its outcome (MIT kdc.conf, [logging]), and each
`PREAUTH_FAILED` line for a principal of the realm becomes one failed logon reported to the
backend. A thread polls the log; `catch_up()` does the same on demand (tests, shutdown).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

_log = structlog.get_logger(__name__)
# e.g. "AS_REQ (2 etypes {...}) 127.0.0.1: PREAUTH_FAILED: alice@CONTOSO.COM for krbtgt/..."
_FAILED = re.compile(r": PREAUTH_FAILED: (?P<principal>[^\s@]+@(?P<realm>\S+)) for ")


def failed_principals(text: str, realm: str) -> list[str]:
    """The client principals of the failed pre-authentications in `text`, in order."""
    return [
        found["principal"]
        for found in _FAILED.finditer(text)
        if found["realm"] == realm  # another realm's user is no account of this domain
    ]


class FailureFeed:
    """Follows kdc.log from where it ends now; reports each failed pre-authentication once."""

    def __init__(
        self, log: Path, realm: str, report: Callable[[str], object], interval: float = 0.05
    ) -> None:
        self._log = log
        self._realm = realm
        self._report = report
        self._interval = interval
        self._offset = log.stat().st_size if log.exists() else 0
        self._lock = threading.Lock()  # one reader at a time: each line is reported once
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def catch_up(self) -> int:
        """Report the failures logged since the last call; how many."""
        with self._lock:
            text = self._read_new_lines()
            failed = failed_principals(text, self._realm)
            for principal in failed:
                self._report(principal)
            return len(failed)

    def _read_new_lines(self) -> str:
        try:
            with self._log.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return ""
        complete = data[: data.rfind(b"\n") + 1]  # a line being written waits for the next call
        self._offset += len(complete)
        return complete.decode("utf-8", errors="replace")

    def start(self) -> FailureFeed:
        """Poll the log in a daemon thread until `stop`."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._poll, name="lab-kdc-failures", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling, after reporting what is already logged. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        thread.join(timeout=5)
        self.catch_up()

    def _poll(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.catch_up()
            except Exception as exc:  # noqa: BLE001 -- the feed must outlive one bad report
                _log.error("lab.kdc.failure_feed", error=str(exc), kind=type(exc).__name__)
