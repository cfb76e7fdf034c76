"""ActiveDirectory cmdlets: users, accounts, groups, domain queries."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import AuthOutcome, SecureString

from .conftest import SWITCH, call, failed, ok, run

CMD = "Microsoft.ActiveDirectory.Management.Commands."
NOT_FOUND = "Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException"
STRONG = SecureString("N3w-Account-2000")


def test_get_ad_user_by_every_identity_form(tb1: DomainBackend) -> None:
    """-Identity takes a sAMAccountName, SID, DN or GUID and returns the default properties."""
    user = ok(run(tb1, "DC1", call("Get-ADUser", "SMSClient_TB1")))[0]
    assert user.type_names[0] == "Microsoft.ActiveDirectory.Management.ADUser"
    assert set(user.properties) == {
        "DistinguishedName", "Enabled", "GivenName", "Name", "ObjectClass", "ObjectGUID",
        "SamAccountName", "SID", "Surname", "UserPrincipalName",
    }  # fmt: skip
    for key in ("SID", "DistinguishedName", "ObjectGUID"):
        again = ok(run(tb1, "DC1", call("Get-ADUser", Identity=user.properties[key])))[0]
        assert again.properties["SID"] == user.properties["SID"]


def test_get_ad_user_not_found_is_terminating(tb1: DomainBackend) -> None:
    """A missing identity: terminating ADIdentityNotFoundException."""
    record = failed(run(tb1, "DC1", call("Get-ADUser", "nobody")))
    assert (
        record.message
        == "Cannot find an object with identity: 'nobody' under: 'DC=contoso,DC=com'."
    )
    assert record.fully_qualified_error_id == (
        "ActiveDirectoryCmdlet:" + NOT_FOUND + "," + CMD + "GetADUser"
    )
    assert record.category == "ObjectNotFound"
    assert record.exception_type == NOT_FOUND
    assert (record.target_name, record.target_type) == ("nobody", "ADUser")


def test_display_name_is_not_an_identity(tb1: DomainBackend) -> None:
    """-Identity never matches the display Name (CN) of a user whose sAMAccountName differs."""
    ok(
        run(
            tb1,
            "DC1",
            call("New-ADUser", "Display Name", SamAccountName="dn1", AccountPassword=STRONG),
        )
    )
    assert failed(run(tb1, "DC1", call("Get-ADUser", "Display Name"))).category == "ObjectNotFound"
    ok(run(tb1, "DC1", call("Get-ADUser", "dn1")))


def test_filter(tb1: DomainBackend) -> None:
    """-Filter matches or returns nothing without error; a bad filter is a parsing error."""
    found = ok(run(tb1, "DC1", call("Get-ADUser", Filter="SamAccountName -like 'SMS*'")))
    assert [u.properties["SamAccountName"] for u in found] == ["SMSClient_TB1"]
    assert ok(run(tb1, "DC1", call("Get-ADUser", Filter="Name -eq 'nobody'"))) == []
    assert len(ok(run(tb1, "DC1", call("Get-ADUser", Filter="*")))) >= 4
    assert failed(run(tb1, "DC1", call("Get-ADUser", Filter="{{"))).category == "ParserError"
    ldap = ok(run(tb1, "DC1", call("Get-ADUser", LDAPFilter="(sAMAccountName=SMSClient*)")))
    assert [u.properties["SamAccountName"] for u in ldap] == ["SMSClient_TB1"]
    assert (
        failed(run(tb1, "DC1", call("Get-ADUser", LDAPFilter="(|(a=b)(c=d))"))).category
        == "ParserError"
    )


def test_extended_properties(tb1: DomainBackend) -> None:
    """-Properties adds LockedOut, BadLogonCount & co. ('*' = all)."""
    for _ in range(3):
        tb1.authenticate("DC1", "CONTOSO\\SMSClient_TB1", "wrong")
    props = ok(
        run(
            tb1,
            "DC1",
            call("Get-ADUser", "SMSClient_TB1", Properties=["LockedOut", "BadLogonCount"]),
        )
    )[0].properties
    assert props["BadLogonCount"] == 3
    assert props["LockedOut"] is False
    everything = ok(run(tb1, "DC1", call("Get-ADUser", "Guest", Properties="*")))[0].properties
    assert everything["PasswordNotRequired"] is True
    assert everything["PrimaryGroup"] == "CN=Domain Guests,CN=Users,DC=contoso,DC=com"


def test_new_ad_user_with_secure_password(tb1: DomainBackend) -> None:
    """New-ADUser with a SecureString password and -Enabled creates an enabled account."""
    made = ok(
        run(
            tb1,
            "DC1",
            call(
                "New-ADUser",
                "SMSClient2_TB1",
                AccountPassword=STRONG,
                Enabled=True,
                PassThru=SWITCH,
            ),
        )
    )
    assert made[0].properties["Enabled"] is True
    assert made[0].properties["DistinguishedName"] == "CN=SMSClient2_TB1,CN=Users,DC=contoso,DC=com"
    assert tb1.authenticate("DC1", "CONTOSO\\SMSClient2_TB1", "N3w-Account-2000") is AuthOutcome.OK


def test_new_ad_user_exists(tb1: DomainBackend) -> None:
    """A duplicate sAMAccountName: ActiveDirectoryServer:1316, terminating."""
    record = failed(run(tb1, "DC1", call("New-ADUser", "SMSClient_TB1", AccountPassword=STRONG)))
    assert record.message == "The specified account already exists"
    assert record.fully_qualified_error_id == "ActiveDirectoryServer:1316," + CMD + "NewADUser"
    assert record.category == "ResourceExists"
    assert record.target_name == "CN=SMSClient_TB1,CN=Users,DC=contoso,DC=com"


def test_new_ad_user_partial_creation_on_a_rejected_password(tb1: DomainBackend) -> None:
    """A weak password: 1325, yet the account exists (disabled); a retry gets 1316."""
    weak = call("New-ADUser", "half", AccountPassword=SecureString("abc"), Enabled=True)
    record = failed(run(tb1, "DC1", weak))
    assert record.fully_qualified_error_id == "ActiveDirectoryServer:1325," + CMD + "NewADUser"
    assert record.category == "InvalidData"
    assert record.message == (
        "The password does not meet the length, complexity, or history requirement of the domain."
    )
    assert tb1.ad_account("half") is not None
    assert not tb1.ad_account("half").enabled  # type: ignore[union-attr]
    assert failed(run(tb1, "DC1", weak)).fully_qualified_error_id.startswith(
        "ActiveDirectoryServer:1316"
    )


def test_new_ad_user_enabled_without_password(tb1: DomainBackend) -> None:
    """-Enabled $true without a password (and not PasswordNotRequired) fails with 1325."""
    record = failed(run(tb1, "DC1", call("New-ADUser", "nopass", Enabled=True)))
    assert record.fully_qualified_error_id.startswith("ActiveDirectoryServer:1325,")
    ok(run(tb1, "DC1", call("New-ADUser", "nopass2", Enabled=True, PasswordNotRequired=True)))


def test_new_ad_user_in_a_missing_container(tb1: DomainBackend) -> None:
    """-Path to a container that does not exist: Directory object not found."""
    record = failed(run(tb1, "DC1", call("New-ADUser", "x", Path="OU=Nowhere,DC=contoso,DC=com")))
    assert record.message == "Directory object not found"


def test_remove_ad_user_prompts_in_a_non_interactive_session(tb1: DomainBackend) -> None:
    """Remove-ADUser is ConfirmImpact High: without -Confirm:$false the prompt fails."""
    record = failed(run(tb1, "DC1", call("Remove-ADUser", "SMSClient_TB1")))
    assert record.message.startswith(
        "A command that prompts the user failed because the host program or the command type "
        "does not support user interaction. The host was attempting to request confirmation "
        "with the following message: Are you sure you want to perform this action?"
    )
    assert (
        'Performing the operation "Remove" on target "CN=SMSClient_TB1,CN=Users,DC=contoso,DC=com".'
        in record.message
    )
    assert record.fully_qualified_error_id == "HostFunctionNotImplemented," + CMD + "RemoveADUser"
    assert record.category == "NotImplemented"
    assert record.exception_type == "System.Management.Automation.Host.HostException"
    assert tb1.ad_account("SMSClient_TB1") is not None
    ok(run(tb1, "DC1", call("Remove-ADUser", "SMSClient_TB1", Confirm=False)))
    assert tb1.ad_account("SMSClient_TB1") is None


def test_remove_ad_user_not_found(tb1: DomainBackend) -> None:
    """Removing a missing user: ADIdentityNotFound from RemoveADUser."""
    record = failed(run(tb1, "DC1", call("Remove-ADUser", "nobody", Confirm=False)))
    assert (
        record.fully_qualified_error_id
        == "ActiveDirectoryCmdlet:" + NOT_FOUND + "," + CMD + "RemoveADUser"
    )


def test_reset_password_keeps_the_lockout(tb1: DomainBackend) -> None:
    """Set-ADAccountPassword -Reset changes the password, pushes history, does not unlock."""
    for _ in range(5):
        tb1.authenticate("DC1", "CONTOSO\\SMSClient_TB1", "wrong")
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    ok(
        run(
            tb1,
            "DC1",
            call("Set-ADAccountPassword", "SMSClient_TB1", Reset=SWITCH, NewPassword=STRONG),
        )
    )
    assert tb1.ad_account("SMSClient_TB1").locked_out  # type: ignore[union-attr]
    with tb1.inspect() as state:
        user = state.ad.store.user("SMSClient_TB1")
        assert user is not None
        assert user.password == STRONG
        assert user.history[0] == SecureString("Tb1-Client-2000")


def test_set_password_errors(tb1: DomainBackend) -> None:
    """A weak password is 1325 on an ADAccount target; a missing identity is ADAccount-typed."""
    weak = failed(
        run(
            tb1,
            "DC1",
            call(
                "Set-ADAccountPassword",
                "SMSClient_TB1",
                Reset=SWITCH,
                NewPassword=SecureString("a"),
            ),
        )
    )
    assert (
        weak.fully_qualified_error_id
        == "ActiveDirectoryServer:1325," + CMD + "SetADAccountPassword"
    )
    assert (weak.target_name, weak.target_type) == ("SMSClient_TB1", "ADAccount")
    missing = failed(
        run(tb1, "DC1", call("Set-ADAccountPassword", "nobody", Reset=SWITCH, NewPassword=STRONG))
    )
    assert missing.target_type == "ADAccount"


def test_change_password_checks_the_old_one_and_history(tb1: DomainBackend) -> None:
    """Without -Reset the old password must match and the new one must not be in history."""
    wrong = call(
        "Set-ADAccountPassword",
        "SMSClient_TB1",
        OldPassword=SecureString("bad"),
        NewPassword=STRONG,
    )
    assert failed(run(tb1, "DC1", wrong)).fully_qualified_error_id.startswith(
        "ActiveDirectoryServer:86,"
    )
    reuse = call(
        "Set-ADAccountPassword",
        "SMSClient_TB1",
        OldPassword=SecureString("Tb1-Client-2000"),
        NewPassword=SecureString("Tb1-Client-1999"),
    )
    assert failed(run(tb1, "DC1", reuse)).fully_qualified_error_id.startswith(
        "ActiveDirectoryServer:1325,"
    )


def test_enable_disable_ad_account(tb1: DomainBackend) -> None:
    """Guest (password not required) can be enabled; both are no-ops when already in state."""
    ok(run(tb1, "DC1", call("Enable-ADAccount", "Guest")))
    ok(run(tb1, "DC1", call("Enable-ADAccount", "Guest")))
    assert tb1.ad_account("Guest").enabled  # type: ignore[union-attr]
    ok(run(tb1, "DC1", call("Disable-ADAccount", "Guest")))
    ok(run(tb1, "DC1", call("Disable-ADAccount", "Guest")))
    assert not tb1.ad_account("Guest").enabled  # type: ignore[union-attr]


def test_enable_account_without_a_password(tb1: DomainBackend) -> None:
    """Enabling an account with no password and no PASSWD_NOTREQD fails with 1325."""
    ok(run(tb1, "DC1", call("New-ADUser", "empty")))
    record = failed(run(tb1, "DC1", call("Enable-ADAccount", "empty")))
    assert (
        record.fully_qualified_error_id == "ActiveDirectoryServer:1325," + CMD + "EnableADAccount"
    )


def test_unlock_ad_account(tb1: DomainBackend) -> None:
    """Unlock-ADAccount clears lockoutTime and badPwdCount; on an unlocked account it is a no-op."""
    for _ in range(5):
        tb1.authenticate("DC1", "CONTOSO\\labadmin", "wrong")
    assert tb1.ad_account("labadmin").locked_out  # type: ignore[union-attr]
    ok(run(tb1, "DC1", call("Unlock-ADAccount", "labadmin")))
    view = tb1.ad_account("labadmin")
    assert view is not None
    assert (view.locked_out, view.bad_pwd_count, view.lockout_time) == (False, 0, None)
    ok(run(tb1, "DC1", call("Unlock-ADAccount", "labadmin")))


def test_get_ad_domain(tb1: DomainBackend) -> None:
    """Get-ADDomain gives the DomainSID that prefixes the domain Guest's SID."""
    domain = ok(run(tb1, "DC1", call("Get-ADDomain")))[0].properties
    assert domain["NetBIOSName"] == "CONTOSO"
    assert domain["DNSRoot"] == "contoso.com"
    assert tb1.ad_account("Guest").sid == f"{domain['DomainSID']}-501"  # type: ignore[union-attr]


def test_search_ad_account_locked_out_strictly(tb1: DomainBackend) -> None:
    """Search-ADAccount -LockedOut lists only accounts locked now; expired lockouts drop out."""
    for _ in range(5):
        tb1.authenticate("DC1", "CONTOSO\\labadmin", "wrong")
    names = [
        a.properties["SamAccountName"]
        for a in ok(run(tb1, "DC1", call("Search-ADAccount", LockedOut=SWITCH)))
    ]
    assert "labadmin" in names
    tb1.advance(timedelta(minutes=31))
    names = [
        a.properties["SamAccountName"]
        for a in ok(run(tb1, "DC1", call("Search-ADAccount", LockedOut=SWITCH)))
    ]
    assert "labadmin" not in names


def test_search_ad_account_stale_lockout_quirk(tb1: DomainBackend) -> None:
    """With the stale-lockout switch, an expired lockout still shows (lockoutTime >= 1)."""
    with tb1.inspect() as state:
        state.fidelity = state.fidelity.with_overrides(search_adaccount_stale_lockouts=True)
    for _ in range(5):
        tb1.authenticate("DC1", "CONTOSO\\labadmin", "wrong")
    tb1.advance(timedelta(minutes=31))
    accounts = ok(run(tb1, "DC1", call("Search-ADAccount", LockedOut=SWITCH)))
    stale = next(a for a in accounts if a.properties["SamAccountName"] == "labadmin")
    assert stale.properties["LockedOut"] is False
