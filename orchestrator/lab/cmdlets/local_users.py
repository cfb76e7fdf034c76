"""Microsoft.PowerShell.LocalAccounts users: Get/Enable/Disable/New/Set/Remove-LocalUser
(as in PowerShell's LocalAccounts source).

Enable/Disable are silent no-ops when the account is already in the wanted state; a missing
user is a non-terminating UserNotFound. On a DC the "local" accounts are the domain's
(powershellpr0mpt/PSP-Inventory#26).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from orchestrator.lab.cmdlets.errors import ErrorKind, binding
from orchestrator.lab.cmdlets.objects import PrincipalSource, has_wildcard, like, prop, ps
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import ErrorRecord, PSObject, SecureString
from orchestrator.lab.domain import lockout
from orchestrator.lab.domain.accounts import UserAccount

NS = "Microsoft.PowerShell.Commands."
USER_TYPES = (NS + "LocalUser", NS + "LocalPrincipal", "System.Object")
_INVALID_CHARS = re.compile(r'["/\\\[\]:;|=,+*?<>@]')
MAX_PASSWORD_AGE = timedelta(days=42)


def user_object(inv: Invocation, user: UserAccount) -> PSObject:
    """A LocalUser as Get-LocalUser returns it."""
    source = PrincipalSource.ActiveDirectory if inv.host.is_dc else PrincipalSource.Local
    last_set = user.password_last_set
    expires = (
        None if user.password_never_expires or last_set is None else last_set + MAX_PASSWORD_AGE
    )
    return ps(
        USER_TYPES,
        {
            "AccountExpires": None,
            "Description": user.description,
            "Enabled": user.enabled,
            "FullName": user.full_name,
            "PasswordChangeableDate": last_set,
            "PasswordExpires": expires,
            "UserMayChangePassword": user.user_may_change_password,
            "PasswordRequired": not user.password_not_required,
            "PasswordLastSet": last_set,
            "LastLogon": None,
            "Name": user.name,
            "SID": user.sid,
            "PrincipalSource": source,
            "ObjectClass": "User",
        },
        user.name,
    )


def _not_found(inv: Invocation, shown: str, target_type: str) -> ErrorRecord:
    return inv.record(
        f"User {shown} was not found.",
        ErrorKind("UserNotFound", "ObjectNotFound", NS + "UserNotFoundException"),
        shown,
        target_type,
    )


def _users_by_name(inv: Invocation, names: tuple[str, ...]) -> Iterator[UserAccount]:
    store = inv.state.store_for(inv.host)
    for name in names:
        if has_wildcard(name):
            yield from (u for u in store.users() if like(name, u.name))
            continue
        user = store.user(name)
        if user is None:
            inv.write_error(_not_found(inv, name, "String"))
        else:
            yield user


def _users_by_sid(inv: Invocation, values: tuple[str, ...]) -> Iterator[UserAccount]:
    store = inv.state.store_for(inv.host)
    for sid in values:
        user = store.user_by_sid(sid)
        if user is None:
            inv.write_error(_not_found(inv, sid, "SecurityIdentifier"))
        else:
            yield user


def selected_users(inv: Invocation) -> Iterator[UserAccount]:
    """Users named by -Name, -SID or -InputObject (a piped LocalUser)."""
    if inv.args.has("SID"):
        return _users_by_sid(inv, inv.args.texts("SID"))
    if inv.args.has("InputObject"):
        piped = inv.args.get("InputObject")
        items = piped if isinstance(piped, tuple) else (piped,)
        sids_ = tuple(prop(i, "SID") or str(i) for i in items)
        return _users_by_sid(inv, sids_)
    return _users_by_name(inv, inv.args.texts("Name"))


def get_local_user(inv: Invocation) -> None:
    """Get-LocalUser [-Name <string[]>] | -SID <sid[]>."""
    if not inv.args.has("Name") and not inv.args.has("SID"):
        for user in inv.state.store_for(inv.host).users():
            inv.write(user_object(inv, user))
        return
    for user in selected_users(inv):
        inv.write(user_object(inv, user))


def _set_enabled(inv: Invocation, enabled: bool, action: str) -> None:
    for user in selected_users(inv):
        if user.enabled == enabled:
            continue  # Sam.cs writes only when the UserAccountControl bits change
        if inv.should_process(user.name, action):
            user.enabled = enabled


def enable_local_user(inv: Invocation) -> None:
    """Enable-LocalUser: silent no-op when already enabled."""
    _set_enabled(inv, True, "Enable local user")


def disable_local_user(inv: Invocation) -> None:
    """Disable-LocalUser: silent no-op when already disabled."""
    _set_enabled(inv, False, "Disable local user")


def _name_error(inv: Invocation, name: str) -> ErrorRecord | None:
    store = inv.state.store_for(inv.host)
    if _INVALID_CHARS.search(name) or name.strip(" .") == "" or name.endswith("."):
        return inv.record(
            f"The name {name} is invalid.",
            ErrorKind("InvalidName", "InvalidArgument", NS + "InvalidNameException"),
            name,
            "String",
        )
    if store.user(name) is not None:
        return inv.record(
            f"User {name} already exists.",
            ErrorKind("UserExists", "ResourceExists", NS + "UserExistsException"),
            name,
            "String",
        )
    if store.group(name) is not None:
        return inv.record(
            f"The name {name} is already in use.",
            ErrorKind("NameInUse", "InvalidArgument", NS + "NameInUseException"),
            name,
            "String",
        )
    return None


def _password_error(
    inv: Invocation, name: str, password: SecureString | None
) -> ErrorRecord | None:
    if password is None or lockout.meets_policy(password.reveal(), name, inv.state.ad.passwords):
        return None
    return inv.record(
        "The password does not meet the password policy requirements. Check the minimum "
        "password length, password complexity and password history requirements.",
        ErrorKind("InvalidPassword", "InvalidArgument", NS + "InvalidPasswordException"),
        name,
        "String",
    )


def new_local_user(inv: Invocation) -> None:
    """New-LocalUser: a rejected password means the user is NOT created (unlike New-ADUser)."""
    name = inv.args.text("Name")
    if inv.args.has("AccountExpires") and inv.args.has("AccountNeverExpires"):
        inv.fail(
            inv.record(
                "The AccountExpires and AccountNeverExpires parameters cannot be used together.",
                ErrorKind(
                    "InvalidParameters", "InvalidArgument", NS + "InvalidParametersException"
                ),
            )
        )
    if not inv.args.has("Password") and not inv.args.has("NoPassword"):
        # the default parameter set makes -Password mandatory: no prompt over remoting
        inv.fail(
            binding(
                inv.spec.identity,
                "Cannot process command because of one or more "
                "missing mandatory parameters: Password.",
                "MissingMandatoryParameter",
            )
        )
    password = inv.args.get("Password")
    error = _name_error(inv, name) or _password_error(inv, name, password)
    if error is not None:
        inv.write_error(error)
        return
    if not inv.should_process(name, "New local user"):
        return
    store = inv.state.store_for(inv.host)
    user = UserAccount(name, store.new_sid(), enabled=not inv.args.flag("Disabled"))
    user.description = inv.args.text("Description")
    user.full_name = inv.args.text("FullName")
    user.password_never_expires = inv.args.flag("PasswordNeverExpires")
    user.user_may_change_password = not inv.args.flag("UserMayNotChangePassword")
    user.password_not_required = inv.args.flag("NoPassword")
    if password is not None:
        lockout.set_password(user, password, inv.session.now, inv.state.ad.passwords)
    store.add_user(user)
    inv.write(user_object(inv, user))


# SamDeleteUser refuses built-in accounts with STATUS_SPECIAL_ACCOUNT, which Sam.cs does not
# map to a named exception: it surfaces as InternalException [U: the mapping was read, the
# built-in case was not captured].
STATUS_SPECIAL_ACCOUNT = 0xC0000124


def remove_local_user(inv: Invocation) -> None:
    """Remove-LocalUser: UserNotFound when missing; built-in accounts cannot be deleted."""
    store = inv.state.store_for(inv.host)
    for user in list(selected_users(inv)):
        if user.rid < 1000:
            inv.write_error(
                inv.record(
                    f"An unspecified error occurred: status = {STATUS_SPECIAL_ACCOUNT}",
                    ErrorKind("Internal", "NotSpecified", NS + "InternalException"),
                    user.name,
                    "LocalUser",
                )
            )
        elif inv.should_process(user.name, "Remove local user"):
            store.remove_user(user)


def set_local_user(inv: Invocation) -> None:
    """Set-LocalUser -Description/-FullName/-PasswordNeverExpires: no output."""
    for user in selected_users(inv):
        if not inv.should_process(user.name, "Modify local user"):
            continue
        if inv.args.has("Description"):
            user.description = inv.args.text("Description")
        if inv.args.has("FullName"):
            user.full_name = inv.args.text("FullName")
        if inv.args.has("PasswordNeverExpires"):
            user.password_never_expires = bool(inv.args.get("PasswordNeverExpires"))


_SELECT = (
    Param("Name", Kind.STRINGS, position=0),
    Param("SID", Kind.STRINGS),
    Param("InputObject", Kind.OBJECTS, pipeline=True),
)
_CLASS = NS + "{}LocalUserCommand"
SPECS = (
    CmdletSpec(
        "Get-LocalUser",
        _CLASS.format("Get"),
        get_local_user,
        (Param("Name", Kind.STRINGS, position=0, pipeline=True), Param("SID", Kind.STRINGS)),
        one_of=(("Name", "SID"),),
    ),
    CmdletSpec(
        "Enable-LocalUser",
        _CLASS.format("Enable"),
        enable_local_user,
        _SELECT,
        impact=Impact.MEDIUM,
        one_of=(("Name", "SID", "InputObject"),),
        require_one=("InputObject", "Name", "SID"),
    ),
    CmdletSpec(
        "Disable-LocalUser",
        _CLASS.format("Disable"),
        disable_local_user,
        _SELECT,
        impact=Impact.MEDIUM,
        one_of=(("Name", "SID", "InputObject"),),
        require_one=("InputObject", "Name", "SID"),
    ),
    CmdletSpec(
        "Remove-LocalUser",
        _CLASS.format("Remove"),
        remove_local_user,
        _SELECT,
        impact=Impact.MEDIUM,
        one_of=(("Name", "SID", "InputObject"),),
        require_one=("InputObject", "Name", "SID"),
    ),
    CmdletSpec(
        "Set-LocalUser",
        _CLASS.format("Set"),
        set_local_user,
        (
            *_SELECT,
            Param("Description", max_length=48),
            Param("FullName"),
            Param("PasswordNeverExpires", Kind.BOOL),
        ),
        impact=Impact.MEDIUM,
        one_of=(("Name", "SID", "InputObject"),),
        require_one=("InputObject", "Name", "SID"),
    ),
    CmdletSpec(
        "New-LocalUser",
        _CLASS.format("New"),
        new_local_user,
        (
            Param("Name", mandatory=True, position=0, max_length=20, not_empty=True),
            Param("Password", Kind.SECURE),
            Param("NoPassword", Kind.SWITCH),
            Param("Description", max_length=48),
            Param("FullName"),
            Param("Disabled", Kind.SWITCH),
            Param("PasswordNeverExpires", Kind.SWITCH),
            Param("UserMayNotChangePassword", Kind.SWITCH),
            Param("AccountExpires", Kind.DATETIME),
            Param("AccountNeverExpires", Kind.SWITCH),
        ),
        impact=Impact.MEDIUM,
        one_of=(("Password", "NoPassword"), ("NoPassword", "PasswordNeverExpires")),
    ),
)
