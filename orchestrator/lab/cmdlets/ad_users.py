"""ActiveDirectory users and accounts: Get/New/Set/Remove-ADUser, Set-ADAccountPassword,
Enable/Disable/Unlock-ADAccount.

New-ADUser creates the account even when the password is rejected, then fails (New-ADUser on
Microsoft Learn: "The account is created if the password fails for any reason"), leaving it
disabled; a retry gets 1316. Enable/Disable are no-ops when already in state; enabling an
account without a valid password (and without PasswordNotRequired) fails with 1325. A reset
does not unlock [U].
"""

from __future__ import annotations

from orchestrator.lab.cmdlets import ad_filter
from orchestrator.lab.cmdlets.ad_common import (
    AD,
    account_object,
    cls,
    lookup_user,
    password_rejected,
    user_object,
)
from orchestrator.lab.cmdlets.errors import ErrorKind, binding
from orchestrator.lab.cmdlets.params import Kind, Param
from orchestrator.lab.cmdlets.runtime import CmdletSpec, Impact, Invocation
from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain import lockout
from orchestrator.lab.domain.accounts import UserAccount
from orchestrator.lab.domain.host import Module

FILTER_PARSING = ErrorKind(
    "ActiveDirectoryCmdlet:" + AD + "ADFilterParsingException",
    "ParserError",
    AD + "ADFilterParsingException",
)


def get_ad_user(inv: Invocation) -> None:
    """Get-ADUser -Identity (terminating not-found) | -Filter | -LDAPFilter (no match: nothing)."""
    props = inv.args.texts("Properties")
    if inv.args.has("Identity"):
        inv.write(user_object(inv, lookup_user(inv, inv.args.get("Identity")), props))
        return
    if not inv.args.has("Filter") and not inv.args.has("LDAPFilter"):
        inv.fail(
            binding(
                inv.spec.identity,
                "Cannot process command because of one or more "
                "missing mandatory parameters: Filter.",
                "MissingMandatoryParameter",
            )
        )
    ldap = inv.args.has("LDAPFilter")
    text = inv.args.text("LDAPFilter" if ldap else "Filter")
    try:
        clauses = ad_filter.parse_ldap(text) if ldap else ad_filter.parse(text)
    except ad_filter.FilterError:
        inv.fail(
            inv.record(
                f"Error parsing query: '{text}' Error Message: 'syntax error' at position: '1'.",
                FILTER_PARSING,
                text,
                "String",
            )
        )
    ad = inv.state.ad
    for user in ad.store.users():
        if ad_filter.matches(ad, user, clauses):
            inv.write(user_object(inv, user, props))


def _already_exists(inv: Invocation, dn: str) -> None:
    inv.fail(
        inv.record(
            "The specified account already exists",
            ErrorKind(
                "ActiveDirectoryServer:1316",
                "ResourceExists",
                AD + "ADIdentityAlreadyExistsException",
            ),
            dn,
            "String",
        )
    )


def _new_user(inv: Invocation, name: str, sam: str, container: str) -> UserAccount:
    ad = inv.state.ad
    user = UserAccount(sam, ad.store.new_sid(), enabled=False)
    user.cn, user.container = name, container
    user.description = inv.args.text("Description")
    user.full_name = inv.args.text("DisplayName")
    user.given_name, user.surname = inv.args.text("GivenName"), inv.args.text("Surname")
    user.upn = inv.args.text("UserPrincipalName")
    user.password_never_expires = inv.args.flag("PasswordNeverExpires")
    user.password_not_required = inv.args.flag("PasswordNotRequired")
    return ad.store.add_user(user)


def new_ad_user(inv: Invocation) -> None:
    """New-ADUser: created first, then password, then enabled; a rejected password leaves a
    disabled account behind and throws 1325."""
    ad = inv.state.ad
    name = inv.args.text("Name")
    sam = inv.args.text("SamAccountName") or name  # [U] default when -SamAccountName is absent
    container = inv.args.text("Path") or ad.users_container
    dn = f"CN={name},{container}"
    if not ad.container_exists(container):
        inv.fail(
            inv.record(
                "Directory object not found",
                ErrorKind(
                    "ActiveDirectoryCmdlet:" + AD + "ADIdentityNotFoundException",
                    "ObjectNotFound",
                    AD + "ADIdentityNotFoundException",
                ),
                dn,
                "String",
            )
        )
    if ad.store.principal(sam) is not None or ad.find(dn) is not None:
        _already_exists(inv, dn)
    if not inv.should_process(dn, "New"):
        return
    user = _new_user(inv, name, sam, container)
    password: SecureString | None = inv.args.get("AccountPassword")
    if password is not None:
        if not lockout.meets_policy(password.reveal(), sam, ad.passwords):
            inv.fail(password_rejected(inv, dn, "String"))
        lockout.set_password(user, password, inv.state.now(), ad.passwords)
    if inv.args.flag("Enabled"):
        if not (user.has_password or user.password_not_required):
            inv.fail(password_rejected(inv, dn, "String"))
        user.enabled = True
    if inv.args.flag("PassThru"):
        inv.write(user_object(inv, user))


def remove_ad_user(inv: Invocation) -> None:
    """Remove-ADUser: ConfirmImpact High, prompts unless -Confirm:$false."""
    ad = inv.state.ad
    user = lookup_user(inv, inv.args.get("Identity"))
    if inv.should_process(ad.dn_of(user), "Remove"):
        ad.store.remove_user(user)


def set_ad_user(inv: Invocation) -> None:
    """Set-ADUser -Identity [-Description] [-PasswordNeverExpires <bool>] [-Clear description]:
    no output without -PassThru; identity not found is terminating."""
    ad = inv.state.ad
    user = lookup_user(inv, inv.args.get("Identity"))
    if not inv.should_process(ad.dn_of(user), "Set"):
        return
    if "description" in {a.lower() for a in inv.args.texts("Clear")}:
        user.description = ""
    if inv.args.has("Description"):
        user.description = inv.args.text("Description")
    if inv.args.has("PasswordNeverExpires"):
        user.password_never_expires = bool(inv.args.get("PasswordNeverExpires"))
    if inv.args.flag("PassThru"):
        inv.write(user_object(inv, user))


def set_ad_account_password(inv: Invocation) -> None:
    """Set-ADAccountPassword -Reset -NewPassword | -OldPassword -NewPassword."""
    ad = inv.state.ad
    user = lookup_user(inv, inv.args.get("Identity"), "ADAccount")
    new: SecureString | None = inv.args.get("NewPassword")
    if new is None:
        inv.fail(
            binding(
                inv.spec.identity,
                "Cannot process command because of one or more "
                "missing mandatory parameters: NewPassword.",
                "MissingMandatoryParameter",
            )
        )
    if not inv.args.flag("Reset"):
        old: SecureString | None = inv.args.get("OldPassword")
        if old is None or not user.password_matches(old):
            inv.fail(
                inv.record(
                    "The specified network password is not correct",
                    ErrorKind(
                        "ActiveDirectoryServer:86", "InvalidData", AD + "ADInvalidPasswordException"
                    ),
                    user.name,
                    "ADAccount",
                )
            )
        if lockout.in_history(user, new, ad.passwords):
            inv.fail(password_rejected(inv, user.name, "ADAccount"))
    if not lockout.meets_policy(new.reveal(), user.name, ad.passwords):
        inv.fail(password_rejected(inv, user.name, "ADAccount"))
    if inv.should_process(ad.dn_of(user), "Set"):
        lockout.set_password(user, new, inv.state.now(), ad.passwords)
    if inv.args.flag("PassThru"):
        inv.write(account_object(inv, user))


def _set_enabled(inv: Invocation, enabled: bool) -> None:
    ad = inv.state.ad
    user = lookup_user(inv, inv.args.get("Identity"), "ADAccount")
    if enabled and not user.enabled and not (user.has_password or user.password_not_required):
        inv.fail(password_rejected(inv, user.name, "ADAccount"))
    if user.enabled != enabled and inv.should_process(ad.dn_of(user), "Set"):
        user.enabled = enabled
    if inv.args.flag("PassThru"):
        inv.write(account_object(inv, user))


def enable_ad_account(inv: Invocation) -> None:
    """Enable-ADAccount: no-op when enabled."""
    _set_enabled(inv, True)


def disable_ad_account(inv: Invocation) -> None:
    """Disable-ADAccount: no-op when disabled."""
    _set_enabled(inv, False)


def unlock_ad_account(inv: Invocation) -> None:
    """Unlock-ADAccount: lockoutTime = 0 and badPwdCount = 0; no-op when not locked."""
    user = lookup_user(inv, inv.args.get("Identity"), "ADAccount")
    if inv.should_process(inv.state.ad.dn_of(user), "Set"):
        lockout.unlock(user)
    if inv.args.flag("PassThru"):
        inv.write(account_object(inv, user))


_IDENTITY = Param("Identity", Kind.OBJECT, mandatory=True, position=0, pipeline=True)
_SERVER = (Param("Server"), Param("Credential", Kind.OBJECT), Param("AuthType"))
_PASSTHRU = Param("PassThru", Kind.SWITCH)
_AD = Module.ACTIVE_DIRECTORY
SPECS = (
    CmdletSpec(
        "Get-ADUser",
        cls("GetADUser"),
        get_ad_user,
        (
            Param("Identity", Kind.OBJECT, position=0, pipeline=True),
            Param("Filter"),
            Param("LDAPFilter"),
            Param("Properties", Kind.STRINGS),
            Param("SearchBase"),
            *_SERVER,
        ),
        module=_AD,
        one_of=(("Identity", "Filter", "LDAPFilter"),),
    ),
    CmdletSpec(
        "New-ADUser",
        cls("NewADUser"),
        new_ad_user,
        (
            Param("Name", mandatory=True, position=0, not_empty=True),
            Param("SamAccountName"),
            Param("AccountPassword", Kind.SECURE),
            Param("Enabled", Kind.BOOL),
            Param("PasswordNeverExpires", Kind.BOOL),
            Param("PasswordNotRequired", Kind.BOOL),
            Param("Path"),
            Param("Description"),
            Param("DisplayName"),
            Param("GivenName"),
            Param("Surname"),
            Param("UserPrincipalName"),
            _PASSTHRU,
            *_SERVER,
        ),
        impact=Impact.LOW,
        module=_AD,
    ),
    CmdletSpec(
        "Remove-ADUser",
        cls("RemoveADUser"),
        remove_ad_user,
        (_IDENTITY, *_SERVER),
        impact=Impact.HIGH,
        module=_AD,
    ),
    CmdletSpec(
        "Set-ADUser",
        cls("SetADUser"),
        set_ad_user,
        (
            _IDENTITY,
            Param("Description"),
            Param("PasswordNeverExpires", Kind.BOOL),
            Param("Clear", Kind.STRINGS),
            _PASSTHRU,
            *_SERVER,
        ),
        impact=Impact.MEDIUM,
        module=_AD,
    ),
    CmdletSpec(
        "Set-ADAccountPassword",
        cls("SetADAccountPassword"),
        set_ad_account_password,
        (
            _IDENTITY,
            Param("NewPassword", Kind.SECURE),
            Param("OldPassword", Kind.SECURE),
            Param("Reset", Kind.SWITCH),
            _PASSTHRU,
            *_SERVER,
        ),
        impact=Impact.MEDIUM,
        module=_AD,
        one_of=(("Reset", "OldPassword"),),
    ),
    CmdletSpec(
        "Enable-ADAccount",
        cls("EnableADAccount"),
        enable_ad_account,
        (_IDENTITY, _PASSTHRU, *_SERVER),
        impact=Impact.MEDIUM,
        module=_AD,
    ),
    CmdletSpec(
        "Disable-ADAccount",
        cls("DisableADAccount"),
        disable_ad_account,
        (_IDENTITY, _PASSTHRU, *_SERVER),
        impact=Impact.MEDIUM,
        module=_AD,
    ),
    CmdletSpec(
        "Unlock-ADAccount",
        cls("UnlockADAccount"),
        unlock_ad_account,
        (_IDENTITY, _PASSTHRU, *_SERVER),
        impact=Impact.MEDIUM,
        module=_AD,
    ),
)
