"""A principal's state as kadmin's get_principal shows it, read into values.

get_principal prints "Field: value" lines per principal (MIT kadmin page, "get_principal"),
dates as `Sat Dec 05 01:28:24 UTC 2026` in the tools' environment (TZ=UTC, LC_ALL=C) or
"[never]". Several principals' blocks can follow each other in one batch's output, each opened
by its "Principal:" line; kadmin's prompt may precede any line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrator.lab.kerberos.policy import KdcLockout, is_locked

_PROMPT = re.compile(r"^(?:kadmin\.local:\s*)+")
_DATE = "%a %b %d %H:%M:%S UTC %Y"
_BANNER = "Authenticating as principal"  # kadmin.local's first line, whatever it runs


@dataclass(frozen=True)
class PrincipalState:
    """What the KDC holds about one principal that matters to a logon."""

    principal: str  # with its realm, e.g. alice@CONTOSO.COM
    failed_attempts: int
    last_failed: datetime | None
    last_success: datetime | None
    allows_tickets: bool  # False: disabled (-allow_tix), every request refused
    requires_preauth: bool
    policy: str | None
    key_version: int
    locked: bool  # by the KDC's own test, at the time it was read


def lines(stdout: str) -> list[str]:
    """kadmin's output lines without its prompts and blank lines."""
    stripped = (_PROMPT.sub("", line).strip() for line in stdout.splitlines())
    return [line for line in stripped if line]


def _date(text: str) -> datetime | None:
    if text == "[never]":
        return None
    return datetime.strptime(text, _DATE).replace(tzinfo=UTC)


def _blocks(stdout: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    for line in lines(stdout):
        key, sep, value = line.partition(": ")
        if key == "Principal":
            blocks.append({})
        if sep and blocks and key not in blocks[-1]:  # the first "Key:" line gives the kvno
            blocks[-1][key] = value
    return blocks


def _state(fields: dict[str, str], lockout: KdcLockout, now: datetime) -> PrincipalState:
    attributes = fields.get("Attributes", "").split()
    policy = fields.get("Policy", "[none]")
    failed = int(fields["Failed password attempts"])
    last_failed = _date(fields["Last failed authentication"])
    return PrincipalState(
        principal=fields["Principal"],
        failed_attempts=failed,
        last_failed=last_failed,
        last_success=_date(fields["Last successful authentication"]),
        allows_tickets="DISALLOW_ALL_TIX" not in attributes,
        requires_preauth="REQUIRES_PRE_AUTH" in attributes,
        policy=None if policy == "[none]" else policy,
        key_version=int(fields.get("Key", "vno 0").split(",")[0].split()[-1]),
        locked=policy == lockout.name and is_locked(lockout, failed, last_failed, now),
    )


def parse_states(stdout: str, lockout: KdcLockout, now: datetime) -> list[PrincipalState]:
    """Every principal block in a batch's output, in order."""
    return [_state(fields, lockout, now) for fields in _blocks(stdout)]


def parse_listing(stdout: str) -> set[str]:
    """list_principals' output: one principal name (with realm) per line."""
    return {line for line in lines(stdout) if ": " not in line and not line.startswith(_BANNER)}
