"""Shared pieces of the ActiveDirectory module cmdlets: identities, errors, output objects.

AD cmdlets report "identity not found" as a TERMINATING ADIdentityNotFoundException whose
CategoryInfo target type follows the parameter type (ADUser, ADAccount, ADGroup,
ADPrincipal); FQEIDs are "ActiveDirectoryCmdlet:<exception>" or "ActiveDirectoryServer:<win32>"
plus the cmdlet class (as captured in EvotecIT/PSWinDocumentation#4).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orchestrator.lab.cmdlets.errors import ErrorKind
from orchestrator.lab.cmdlets.objects import identity_text, ps
from orchestrator.lab.cmdlets.runtime import Invocation
from orchestrator.lab.contract import ErrorRecord, PSObject
from orchestrator.lab.domain import lockout
from orchestrator.lab.domain.accounts import Group, Principal, UserAccount, guid_of
from orchestrator.lab.domain.directory import ActiveDirectory

AD = "Microsoft.ActiveDirectory.Management."
COMMANDS = AD + "Commands."
NOT_FOUND = AD + "ADIdentityNotFoundException"
_BASE = (AD + "ADObject", AD + "ADEntity", "System.Object")
USER_TYPES = (AD + "ADUser", AD + "ADAccount", AD + "ADPrincipal", *_BASE)
ACCOUNT_TYPES = (AD + "ADAccount", AD + "ADPrincipal", *_BASE)
PRINCIPAL_TYPES = (AD + "ADPrincipal", *_BASE)
GROUP_TYPES = (AD + "ADGroup", AD + "ADPrincipal", *_BASE)
POLICY_REJECTION_TEXT = (
    "The password does not meet the length, complexity, or history requirement of the domain."
)
IDENTITY_KEYS = ("ObjectGUID", "SID", "DistinguishedName", "SamAccountName")


def cls(name: str) -> str:
    """The FQEID suffix of an AD cmdlet (Microsoft.ActiveDirectory.Management.Commands.X)."""
    return COMMANDS + name


def not_found(inv: Invocation, identity: str, target_type: str) -> ErrorRecord:
    """Cannot find an object with identity ... (or "Directory object not found" for a DN)."""
    ad = inv.state.ad
    is_dn = identity.upper().startswith("CN=") and "," in identity
    message = (
        "Directory object not found"
        if is_dn
        else f"Cannot find an object with identity: '{identity}' under: '{ad.dn}'."
    )
    return inv.record(
        message,
        ErrorKind("ActiveDirectoryCmdlet:" + NOT_FOUND, "ObjectNotFound", NOT_FOUND),
        identity,
        target_type,
    )


def password_rejected(inv: Invocation, target: str, target_type: str) -> ErrorRecord:
    """ActiveDirectoryServer:1325 (ADPasswordComplexityException)."""
    return inv.record(
        POLICY_REJECTION_TEXT,
        ErrorKind(
            "ActiveDirectoryServer:1325", "InvalidData", AD + "ADPasswordComplexityException"
        ),
        target,
        target_type,
    )


def lookup(inv: Invocation, value: Any, target_type: str) -> Principal:
    """Resolve -Identity or fail with the terminating not-found error."""
    text = identity_text(value, *IDENTITY_KEYS)
    found = inv.state.ad.find(text)
    wanted: tuple[type, ...] = {
        "ADUser": (UserAccount,),
        "ADAccount": (UserAccount,),
        "ADGroup": (Group,),
    }.get(target_type, (UserAccount, Group))
    if found is None or not isinstance(found, wanted):
        inv.fail(not_found(inv, text, target_type))
    return found


def lookup_user(inv: Invocation, value: Any, target_type: str = "ADUser") -> UserAccount:
    """A user by -Identity (terminating not-found)."""
    found = lookup(inv, value, target_type)
    assert isinstance(found, UserAccount)
    return found


def lookup_group(inv: Invocation, value: Any) -> Group:
    """A group by -Identity (terminating not-found)."""
    found = lookup(inv, value, "ADGroup")
    assert isinstance(found, Group)
    return found


def is_locked(ad: ActiveDirectory, user: UserAccount, now: datetime) -> bool:
    """LockedOut as the module computes it (strictly, from lockoutTime and the duration)."""
    return lockout.is_locked(user, ad.lockout, now)


def _extended(inv: Invocation, user: UserAccount) -> dict[str, Any]:
    ad, now = inv.state.ad, inv.state.now()
    return {
        "AccountLockoutTime": user.lockout_time,
        "BadLogonCount": user.bad_pwd_count,
        "badPwdCount": user.bad_pwd_count,
        "CannotChangePassword": not user.user_may_change_password,
        "Description": user.description,
        "DisplayName": user.full_name or None,
        "LastBadPasswordAttempt": user.bad_password_time,
        "LockedOut": is_locked(ad, user, now),
        "lockoutTime": 0 if user.lockout_time is None else user.lockout_time,
        "MemberOf": [ad.dn_of(g) for g in ad.memberships(user, now)],
        "PasswordLastSet": user.password_last_set,
        "PasswordNeverExpires": user.password_never_expires,
        "PasswordNotRequired": user.password_not_required,
        "PrimaryGroup": _primary_group(ad, user),
    }


def _primary_group(ad: ActiveDirectory, user: UserAccount) -> str | None:
    group = ad.store.group_by_sid(f"{ad.sid}-{user.primary_group_rid}")
    return ad.dn_of(group) if group else None


def user_object(inv: Invocation, user: UserAccount, properties: tuple[str, ...] = ()) -> PSObject:
    """An ADUser with the default properties plus the requested -Properties ('*' = all)."""
    ad = inv.state.ad
    dn = ad.dn_of(user)
    props: dict[str, Any] = {
        "DistinguishedName": dn,
        "Enabled": user.enabled,
        "GivenName": user.given_name or None,
        "Name": user.cn or user.name,
        "ObjectClass": "user",
        "ObjectGUID": guid_of(user),
        "SamAccountName": user.name,
        "SID": user.sid,
        "Surname": user.surname or None,
        "UserPrincipalName": user.upn or None,
    }
    extended = _extended(inv, user)
    wanted = {p.lower() for p in properties}
    for name, value in extended.items():
        if "*" in wanted or name.lower() in wanted:
            props[name] = value
    return ps(USER_TYPES, props, dn)


def account_object(inv: Invocation, user: UserAccount) -> PSObject:
    """An ADAccount as Search-ADAccount returns it."""
    ad = inv.state.ad
    dn = ad.dn_of(user)
    props = {
        "AccountExpirationDate": None,
        "DistinguishedName": dn,
        "Enabled": user.enabled,
        "LastLogonDate": None,
        "LockedOut": is_locked(ad, user, inv.state.now()),
        "Name": user.cn or user.name,
        "ObjectClass": "user",
        "ObjectGUID": guid_of(user),
        "PasswordExpired": False,
        "PasswordNeverExpires": user.password_never_expires,
        "SamAccountName": user.name,
        "SID": user.sid,
        "UserPrincipalName": user.upn or None,
    }
    return ps(ACCOUNT_TYPES, props, dn)


def principal_object(inv: Invocation, principal: Principal) -> PSObject:
    """An ADPrincipal as Get-ADGroupMember returns it."""
    ad = inv.state.ad
    dn = ad.dn_of(principal)
    is_user = isinstance(principal, UserAccount)
    props = {
        "distinguishedName": dn,
        "name": principal.cn or principal.name
        if isinstance(principal, UserAccount)
        else principal.name,
        "objectClass": "user" if is_user else "group",
        "objectGUID": guid_of(principal),
        "SamAccountName": principal.name,
        "SID": principal.sid,
    }
    return ps(PRINCIPAL_TYPES, props, dn)
