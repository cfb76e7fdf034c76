"""Microsoft.PowerShell.LocalAccounts group membership (as in PowerShell's LocalAccounts source).

Add raises MemberExists and Remove raises MemberNotFound (both non-terminating, each member
processed on its own). An unqualified member name on a domain member resolves to the DOMAIN
account first: `-Member Guest` adds CONTOSO\\Guest, not the local Guest (Add-LocalGroupMember on
Microsoft Learn; PowerShell/PowerShell#12289).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import PrincipalSource, has_wildcard, like, prop, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import PSObject
from orchestrator.lab.domain import principals
from orchestrator.lab.domain import sid as sids
from orchestrator.lab.domain.accounts import Group, UserAccount
from orchestrator.lab.domain.principals import Resolved

NS = "Microsoft.PowerShell.Commands."
PRINCIPAL_TYPES = (NS + "LocalPrincipal", "System.Object")
GROUP_TYPES = (NS + "LocalGroup", NS + "LocalPrincipal", "System.Object")


def _group(inv: Invocation) -> Group | None:
    store = inv.state.store_for(inv.host)
    if inv.args.has("SID"):
        key, group = inv.args.text("SID"), store.group_by_sid(inv.args.text("SID"))
    elif inv.args.has("Group"):
        given = inv.args.get("Group")
        key = prop(given, "SID") or prop(given, "Name") or str(given)
        group = store.group_by_sid(key) if sids.is_sid(key) else store.group(key)
    else:
        key, group = inv.args.text("Name"), store.group(inv.args.text("Name"))
    if group is None:
        inv.write_error(
            inv.record(
                f"Group {key} was not found.",
                ErrorKind("GroupNotFound", "ObjectNotFound", NS + "GroupNotFoundException"),
                key,
                "String",
            )
        )
    return group


def _resolve(inv: Invocation, member: Any) -> tuple[str, Resolved | None]:
    """(the text to show, the resolved principal) for one -Member value."""
    if isinstance(member, PSObject):
        sid = prop(member, "SID") or ""
        return prop(member, "Name") or sid, principals.resolve_sid(inv.state, inv.host, sid)
    text = str(member)
    return text, principals.resolve_member(inv.state, inv.host, text)


def _principal_not_found(inv: Invocation, shown: str) -> None:
    inv.write_error(
        inv.record(
            f"Principal {shown} was not found.",
            ErrorKind("PrincipalNotFound", "ObjectNotFound", NS + "PrincipalNotFoundException"),
            shown,
            "String",
        )
    )


def _each_member(inv: Invocation, act: Callable[[Group, Any, str, Resolved], None]) -> None:
    group = _group(inv)
    if group is None:
        return
    for member in inv.args.get("Member", ()):
        shown, found = _resolve(inv, member)
        if found is None:
            _principal_not_found(inv, shown)
            continue
        # a string resolves to DOMAIN\name in messages; a LocalUser object keeps its bare name
        name = shown if isinstance(member, PSObject) else found.qualified_name
        act(group, member, name, found)


def add_local_group_member(inv: Invocation) -> None:
    """Add-LocalGroupMember: MemberExists when already there."""

    def add(group: Group, _member: Any, name: str, found: Resolved) -> None:
        if group.has_member(found.principal.sid, inv.state.now()):
            inv.write_error(
                inv.record(
                    f"{name} is already a member of group {group.name}.",
                    ErrorKind("MemberExists", "ResourceExists", NS + "MemberExistsException"),
                    group.name,
                    "LocalGroup",
                    _group_object(inv, group),
                )
            )
        elif inv.should_process(group.name, f"Add member {name}"):
            group.add(found.principal.sid)

    _each_member(inv, add)


def remove_local_group_member(inv: Invocation) -> None:
    """Remove-LocalGroupMember: MemberNotFound when not there."""

    def remove(group: Group, member: Any, name: str, found: Resolved) -> None:
        if not group.has_member(found.principal.sid, inv.state.now()):
            shown = member.to_string if isinstance(member, PSObject) else str(member)
            inv.write_error(
                inv.record(
                    f"Member {shown} was not found in group {group.name}.",
                    ErrorKind("MemberNotFound", "ObjectNotFound", NS + "MemberNotFoundException"),
                    shown,
                    "String",
                )
            )
        elif inv.should_process(group.name, f"Remove member {name}"):
            group.remove(found.principal.sid)

    _each_member(inv, remove)


def _group_object(inv: Invocation, group: Group) -> PSObject:
    source = PrincipalSource.ActiveDirectory if inv.host.is_dc else PrincipalSource.Local
    props = {
        "Description": group.description,
        "Name": group.name,
        "SID": group.sid,
        "PrincipalSource": source,
        "ObjectClass": "Group",
    }
    return ps(GROUP_TYPES, props, group.name)


def principal_object(inv: Invocation, sid: str) -> PSObject:
    """A LocalPrincipal for a member SID (Name is AUTHORITY\\name)."""
    found = principals.resolve_sid(inv.state, inv.host, sid)
    if found is None:
        name = principals.well_known_name(sid) or sid
        props = {
            "Name": name,
            "SID": sid,
            "PrincipalSource": PrincipalSource.Unknown,
            "ObjectClass": "Other",
        }
        return ps(PRINCIPAL_TYPES, props, name)
    local = found.store is not inv.state.ad.store
    source = PrincipalSource.Local if local else PrincipalSource.ActiveDirectory
    kind = "User" if isinstance(found.principal, UserAccount) else "Group"
    props = {
        "Name": found.qualified_name,
        "SID": found.principal.sid,
        "PrincipalSource": source,
        "ObjectClass": kind,
    }
    return ps(PRINCIPAL_TYPES, props, found.qualified_name)


def get_local_group_member(inv: Invocation) -> None:
    """Get-LocalGroupMember: members sorted by Name; -Member filters (wildcards allowed)."""
    group = _group(inv)
    if group is None:
        return
    members = [principal_object(inv, m.sid) for m in group.valid_members(inv.state.now())]
    members.sort(key=lambda o: str(o.properties["Name"]).lower())
    wanted = inv.args.text("Member")
    if wanted:
        short = [(str(o.properties["Name"]).rsplit("\\", 1)[-1], o) for o in members]
        members = [
            o for name, o in short if like(wanted, name) or like(wanted, str(o.properties["Name"]))
        ]
        if not members and not has_wildcard(wanted):
            _principal_not_found(inv, wanted)
    for obj in members:
        inv.write(obj)


_SELECT = (
    Param("Group", Kind.OBJECT),
    Param("Name", position=0),
    Param("SID"),
)
_MEMBER = Param("Member", Kind.OBJECTS, mandatory=True, position=1, pipeline=True)
_SETS = (("Group", "Name", "SID"),)
SPECS = (
    CmdletSpec(
        "Add-LocalGroupMember",
        NS + "AddLocalGroupMemberCommand",
        add_local_group_member,
        (*_SELECT, _MEMBER),
        impact=Impact.MEDIUM,
        one_of=_SETS,
        require_one=_SETS[0],
    ),
    CmdletSpec(
        "Remove-LocalGroupMember",
        NS + "RemoveLocalGroupMemberCommand",
        remove_local_group_member,
        (*_SELECT, _MEMBER),
        impact=Impact.MEDIUM,
        one_of=_SETS,
        require_one=_SETS[0],
    ),
    CmdletSpec(
        "Get-LocalGroupMember",
        NS + "GetLocalGroupMemberCommand",
        get_local_group_member,
        (*_SELECT, Param("Member", position=1)),
        one_of=_SETS,
        require_one=_SETS[0],
    ),
)
