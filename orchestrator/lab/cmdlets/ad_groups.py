"""ActiveDirectory group membership: Add/Remove/Get-ADGroupMember (their Microsoft Learn pages).

Permissive modify by default: adding an existing member or removing a non-member is silent;
with -DisablePermissiveModify they fail (1378 / 1377 [U ids]). Every member is validated
before any change: one unknown member is a terminating ValidateMembersParameter error and
nothing is added. -MemberTimeToLive needs the PAM optional feature; its links expire.
"""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.cmdlets.ad_common import (
    AD,
    IDENTITY_KEYS,
    NOT_FOUND,
    cls,
    lookup_group,
    principal_object,
)
from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import identity_text, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.domain import lifecycle
from orchestrator.lab.domain.accounts import Group, Principal, guid_of
from orchestrator.lab.domain.host import Module

# [U]: the text for a TTL without PAM was not found; the directory refuses a TTL'd link
PAM_DISABLED_MESSAGE = "The server is unwilling to process the request"
PAM_DISABLED_ERROR_ID = "ActiveDirectoryServer:8245"


def _members(inv: Invocation) -> list[Principal]:
    """All -Members resolved, or a terminating ValidateMembersParameter before any change."""
    ad = inv.state.ad
    found: list[Principal] = []
    for value in inv.args.get("Members", ()):
        text = identity_text(value, *IDENTITY_KEYS)
        principal = ad.find(text)
        if principal is None:
            inv.fail(
                inv.record(
                    f"Cannot find an object with identity: '{text}' under: '{ad.dn}'.",
                    ErrorKind(
                        "SetADGroupMember.ValidateMembersParameter", "ObjectNotFound", NOT_FOUND
                    ),
                    text,
                    "ADPrincipal",
                )
            )
        found.append(principal)
    return found


def _ad_error(inv: Invocation, message: str, error_id: str, target: str) -> None:
    inv.fail(
        inv.record(
            message, ErrorKind(error_id, "NotSpecified", AD + "ADException"), target, "ADGroup"
        )
    )


def _ttl(inv: Invocation) -> timedelta | None:
    ttl: timedelta | None = inv.args.get("MemberTimeToLive")
    if ttl is not None and not inv.state.ad.pam_enabled:
        _ad_error(inv, PAM_DISABLED_MESSAGE, PAM_DISABLED_ERROR_ID, inv.args.text("Identity"))
    return ttl


def add_ad_group_member(inv: Invocation) -> None:
    """Add-ADGroupMember -Identity -Members [-MemberTimeToLive] [-DisablePermissiveModify]."""
    group = lookup_group(inv, inv.args.get("Identity"))
    members = _members(inv)
    ttl = _ttl(inv)
    now = inv.state.now()
    strict = inv.args.flag("DisablePermissiveModify")
    if strict and any(group.has_member(m.sid, now) for m in members):
        _ad_error(
            inv,
            "The specified account name is already a member of the group",
            "ActiveDirectoryServer:1378",
            group.name,
        )
    if not inv.should_process(inv.state.ad.dn_of(group), "Set"):
        return
    expires = now + ttl if ttl is not None else None
    for member in members:
        group.add(member.sid, expires)
    if expires is not None:
        lifecycle.schedule_ttl_expiry(inv.state, expires)
    _pass_thru(inv, group)


def remove_ad_group_member(inv: Invocation) -> None:
    """Remove-ADGroupMember: ConfirmImpact High (prompts unless -Confirm:$false)."""
    group = lookup_group(inv, inv.args.get("Identity"))
    members = _members(inv)
    now = inv.state.now()
    if inv.args.flag("DisablePermissiveModify") and not all(
        group.has_member(m.sid, now) for m in members
    ):
        _ad_error(
            inv,
            "The specified account name is not a member of the group.",
            "ActiveDirectoryServer:1377",
            group.name,
        )
    if not inv.should_process(inv.state.ad.dn_of(group), "Set"):
        return
    for member in members:
        group.remove(member.sid)
    _pass_thru(inv, group)


def _pass_thru(inv: Invocation, group: Group) -> None:
    if inv.args.flag("PassThru"):
        props = {
            "DistinguishedName": inv.state.ad.dn_of(group),
            "Name": group.name,
            "SamAccountName": group.name,
            "SID": group.sid,
            "ObjectGUID": guid_of(group),
        }
        inv.write(ps((AD + "ADGroup", AD + "ADPrincipal", "System.Object"), props, group.name))


def _expand(inv: Invocation, group: Group, seen: set[str]) -> list[Principal]:
    ad, now = inv.state.ad, inv.state.now()
    result: list[Principal] = []
    for link in group.valid_members(now):
        principal = ad.store.by_sid(link.sid)
        if principal is None or principal.sid in seen:
            continue
        seen.add(principal.sid)
        if isinstance(principal, Group) and inv.args.flag("Recursive"):
            result.extend(_expand(inv, principal, seen))
        else:
            result.append(principal)
    return result


def get_ad_group_member(inv: Invocation) -> None:
    """Get-ADGroupMember: member links only (not primary-group members), TTL-valid ones."""
    group = lookup_group(inv, inv.args.get("Identity"))
    for principal in _expand(inv, group, set()):
        inv.write(principal_object(inv, principal))


_IDENTITY = Param("Identity", Kind.OBJECT, mandatory=True, position=0, pipeline=True)
_MEMBERS = Param("Members", Kind.OBJECTS, mandatory=True, position=1)
_COMMON = (
    Param("DisablePermissiveModify", Kind.SWITCH),
    Param("PassThru", Kind.SWITCH),
    Param("Server"),
    Param("Credential", Kind.OBJECT),
)
_AD = Module.ACTIVE_DIRECTORY
SPECS = (
    CmdletSpec(
        "Add-ADGroupMember",
        cls("AddADGroupMember"),
        add_ad_group_member,
        (_IDENTITY, _MEMBERS, Param("MemberTimeToLive", Kind.TIMESPAN), *_COMMON),
        impact=Impact.MEDIUM,
        module=_AD,
    ),
    CmdletSpec(
        "Remove-ADGroupMember",
        cls("RemoveADGroupMember"),
        remove_ad_group_member,
        (_IDENTITY, _MEMBERS, *_COMMON),
        impact=Impact.HIGH,
        module=_AD,
    ),
    CmdletSpec(
        "Get-ADGroupMember",
        cls("GetADGroupMember"),
        get_ad_group_member,
        (_IDENTITY, Param("Recursive", Kind.SWITCH), Param("Server")),
        module=_AD,
    ),
)
