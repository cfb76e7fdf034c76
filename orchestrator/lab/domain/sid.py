"""Security identifiers: well-known SIDs, RIDs and deterministic machine/domain SIDs."""

from __future__ import annotations

import hashlib
import re

LOCAL_SYSTEM = "S-1-5-18"
EVERYONE = "S-1-1-0"
AUTHENTICATED_USERS = "S-1-5-11"
BUILTIN_ADMINISTRATORS = "S-1-5-32-544"
BUILTIN_USERS = "S-1-5-32-545"
BUILTIN_GUESTS = "S-1-5-32-546"

RID_ADMINISTRATOR = 500
RID_GUEST = 501
RID_KRBTGT = 502
RID_DOMAIN_ADMINS = 512
RID_DOMAIN_USERS = 513
RID_DOMAIN_GUESTS = 514
RID_DOMAIN_COMPUTERS = 515
RID_NONE = 513  # a member server's local "None" group shares RID 513 with Domain Users
FIRST_LOCAL_RID = 1000
FIRST_DOMAIN_RID = 1103

_SID_RE = re.compile(r"^S-1-\d+(-\d+)+$", re.IGNORECASE)


def is_sid(text: str) -> bool:
    """True for text shaped like a SID string (S-1-...)."""
    return bool(_SID_RE.match(text.strip()))


def canonical(sid: str) -> str:
    """The SID in its canonical upper-case 'S-' form, for dictionary keys."""
    return sid.strip().upper()


def rid_of(sid: str) -> int:
    """The relative identifier: the last sub-authority."""
    return int(sid.rsplit("-", 1)[1])


def make_authority_sid(seed: str) -> str:
    """A deterministic S-1-5-21-a-b-c SID for a machine or domain, from a seed string."""
    digest = hashlib.sha256(seed.encode()).digest()
    parts = [int.from_bytes(digest[i : i + 4], "little") for i in (0, 4, 8)]
    return "S-1-5-21-" + "-".join(str(p) for p in parts)
