"""Finding MIT's KDC programs, and the environment they run in (this realm's files, never /etc)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from orchestrator.lab.kerberos.config import KdcFiles
from orchestrator.lab.kerberos.errors import PACKAGES, KdcError

# Debian installs the KDC programs in /usr/sbin, which is not on every user's PATH.
_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def find_tool(name: str) -> str:
    """The path of an MIT Kerberos program (krb5kdc, kdb5_util, kadmin.local)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    found = shutil.which(name, path=search)
    if found is None:
        raise KdcError(
            f"{name} is not installed, so the lab cannot run its KDC",
            f"Install the Debian packages {' '.join(PACKAGES)} (`make venv` does it when"
            " krb5kdc is missing)",
        )
    return found


def tool_environment(files: KdcFiles, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the KDC and its tools: this realm's configuration and nothing else."""
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith("KRB5")  # a caller's KRB5_TRACE, KRB5CCNAME ... stay out
    }
    env.update(
        KRB5_CONFIG=str(files.krb5_conf),
        KRB5_KDC_PROFILE=str(files.kdc_conf),
        # kadmin prints dates in local time and the C locale's words; state.py parses them
        TZ="UTC",
        LC_ALL="C",
        # libss loads readline when it can, and readline echoes every line read from a pipe to
        # stdout: each `-pw` with it. Empty = no readline (e2fsprogs libss, SS_READLINE_PATH).
        SS_READLINE_PATH="",
    )
    return env
