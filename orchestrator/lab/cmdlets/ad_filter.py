"""The small subset of the AD module's -Filter (and -LDAPFilter) languages the lab understands.

`*`, or clauses `<Attribute> -eq|-ne|-like|-notlike <value>` joined by `-and`, where value is
'quoted', "quoted", $true/$false, or a bare word. -LDAPFilter: one `(attribute=value)` clause.
Anything else is a filter parsing error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.lab.cmdlets.objects import like
from orchestrator.lab.domain.accounts import UserAccount
from orchestrator.lab.domain.directory import ActiveDirectory

_CLAUSE = re.compile(
    r"""^\s*(?P<attr>[A-Za-z]+)\s+-(?P<op>eq|ne|like|notlike)\s+
        (?P<value>'[^']*'|"[^"]*"|\$true|\$false|[^\s'"]+)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_AND = re.compile(r"\s+-and\s+", re.IGNORECASE)
_LDAP = re.compile(r"^\(\s*(?P<attr>[A-Za-z]+)\s*=\s*(?P<value>[^()=]*)\)$")
_LDAP_NAMES = {
    "samaccountname": "samaccountname",
    "cn": "name",
    "name": "name",
    "objectsid": "sid",
    "distinguishedname": "distinguishedname",
    "userprincipalname": "userprincipalname",
    "description": "description",
}


class FilterError(ValueError):
    """The filter text is outside the supported subset."""


@dataclass(frozen=True)
class Clause:
    """attribute op value."""

    attribute: str
    op: str
    value: str


Getter = Callable[[ActiveDirectory, UserAccount], str]
_ATTRIBUTES: dict[str, Getter] = {
    "name": lambda _ad, u: u.cn or u.name,
    "samaccountname": lambda _ad, u: u.name,
    "sid": lambda _ad, u: u.sid,
    "enabled": lambda _ad, u: "$true" if u.enabled else "$false",
    "distinguishedname": lambda ad, u: ad.dn_of(u),
    "userprincipalname": lambda _ad, u: u.upn,
    "description": lambda _ad, u: u.description,
}


def parse(text: str) -> list[Clause]:
    """Clauses of a filter; [] for '*'."""
    if text.strip() == "*":
        return []
    clauses = []
    for part in _AND.split(text.strip()):
        match = _CLAUSE.match(part)
        if match is None or match["attr"].lower() not in _ATTRIBUTES:
            raise FilterError(text)
        value = match["value"].strip("'\"")
        clauses.append(Clause(match["attr"].lower(), match["op"].lower(), value))
    return clauses


def parse_ldap(text: str) -> list[Clause]:
    """One LDAP equality clause, `(attr=value)`, `*` wildcards allowed."""
    match = _LDAP.match(text.strip())
    if match is None or match["attr"].lower() not in _LDAP_NAMES:
        raise FilterError(text)
    return [Clause(_LDAP_NAMES[match["attr"].lower()], "like", match["value"].strip())]


def holds(clause: Clause, actual: str) -> bool:
    """True when an attribute's value satisfies the clause (case-insensitive, as AD compares)."""
    if "like" in clause.op:
        hit = like(clause.value, actual)
    else:
        hit = actual.lower() == clause.value.lower()
    return hit != (clause.op in ("ne", "notlike"))


def matches(ad: ActiveDirectory, user: UserAccount, clauses: list[Clause]) -> bool:
    """True when the user satisfies every clause."""
    return all(holds(c, _ATTRIBUTES[c.attribute](ad, user)) for c in clauses)
