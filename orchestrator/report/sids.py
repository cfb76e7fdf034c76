"""Well-known SIDs with their names, for the reports people read (`S-1-5-32-545 (BUILTIN\\Users)`).

Names from Microsoft Learn, "Well-known SIDs" (Windows security identifiers): the fixed SIDs,
and the relative IDs that name the same account in every domain or machine
(`S-1-5-21-<authority>-RID`, which playbooks write `S-1-5-21-*-RID`). The machine-readable
JSON report keeps SIDs as they are.
"""

from __future__ import annotations

import re

FIXED = {
    "S-1-1-0": "Everyone",
    "S-1-5-2": "NT AUTHORITY\\NETWORK",
    "S-1-5-7": "NT AUTHORITY\\ANONYMOUS LOGON",
    "S-1-5-11": "NT AUTHORITY\\Authenticated Users",
    "S-1-5-18": "NT AUTHORITY\\SYSTEM",
    "S-1-5-19": "NT AUTHORITY\\LOCAL SERVICE",
    "S-1-5-20": "NT AUTHORITY\\NETWORK SERVICE",
    "S-1-5-32-544": "BUILTIN\\Administrators",
    "S-1-5-32-545": "BUILTIN\\Users",
    "S-1-5-32-546": "BUILTIN\\Guests",
}
RELATIVE = {  # the same RID in every domain (and, for 500 and 501, every machine)
    500: "Administrator",
    501: "Guest",
    502: "krbtgt",
    512: "Domain Admins",
    513: "Domain Users",
    514: "Domain Guests",
}

# S-1-5-21 then the three sub-authorities of a domain or machine (or `*`), then the RID
_ACCOUNT = re.compile(r"^S-1-5-21-(?:\*|\d+-\d+-\d+)-(\d+)$", re.IGNORECASE)
# a SID in running text; one that is already followed by its name is skipped
_IN_TEXT = re.compile(r"(?<![\w-])S-1-\d+(?:-(?:\d+|\*))+(?![\w*-])(?! \()", re.IGNORECASE)


def sid_name(sid: str) -> str | None:
    """The account or group a well-known SID names, or None."""
    fixed = FIXED.get(sid.upper())
    if fixed is not None:
        return fixed
    account = _ACCOUNT.match(sid)
    return RELATIVE.get(int(account.group(1))) if account else None


def describe_sid(sid: str) -> str:
    """`S-1-5-32-545 (BUILTIN\\Users)` for a well-known SID; anything else as it is."""
    name = sid_name(sid)
    return f"{sid} ({name})" if name else sid


def name_sids(text: str) -> str:
    """Free text (a summary, a reason) with each well-known SID in it described, once."""
    return _IN_TEXT.sub(lambda found: describe_sid(found.group(0)), text)
