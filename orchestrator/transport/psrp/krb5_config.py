"""The inventory's krb5.conf, in force while a connector lives (`kerberos: {config: PATH}`).

The Kerberos library reads its configuration from KRB5_CONFIG in the process environment, so
it is one per process: the connector (in the command's process, or in each worker process)
sets it when created and puts back what was there when closed. Without `kerberos.config` the
system's configuration (/etc/krb5.conf) is used, as by any Kerberos client.
"""

from __future__ import annotations

import os
from pathlib import Path

VARIABLE = "KRB5_CONFIG"


class Krb5Config:
    """KRB5_CONFIG pointing at one file between `apply` and `restore`."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._previous: str | None = None
        self._applied = False

    def apply(self) -> None:
        """Point KRB5_CONFIG at the file (nothing when the inventory names none)."""
        if self._path is None or self._applied:
            return
        self._previous = os.environ.get(VARIABLE)
        os.environ[VARIABLE] = str(self._path)
        self._applied = True

    def restore(self) -> None:
        """Put back the KRB5_CONFIG there was before `apply`."""
        if not self._applied:
            return
        if self._previous is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = self._previous
        self._applied = False
