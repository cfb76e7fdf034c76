"""The one error the lab's KDC raises: what failed, and what to do about it."""

from __future__ import annotations

PACKAGES = ("krb5-kdc", "krb5-admin-server", "krb5-user", "libkrb5-dev")


class KdcError(Exception):
    """A KDC tool failed or is missing. The text never carries a password: every message built
    from a tool's output is redacted against the secrets of the batch that produced it."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(f"{what}. {hint}")
        self.what = what
        self.hint = hint


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by ****, longest first (one may contain another)."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "****")
    return text
