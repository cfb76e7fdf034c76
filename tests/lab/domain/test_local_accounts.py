"""LocalAccounts cmdlets: users and group membership, errors and idempotency."""

from __future__ import annotations

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import PSObject, SecureString
from orchestrator.lab.domain import sid as sids

from .conftest import SWITCH, call, failed, ok, only_error, run

NS = "Microsoft.PowerShell.Commands."


def _guest_sid(lab: DomainBackend, host: str) -> str:
    guest = lab.local_account(host, "Guest")
    assert guest is not None
    return guest.sid


def _domain_sid(lab: DomainBackend) -> str:
    with lab.inspect() as state:
        return state.ad.sid


def test_get_local_user_lists_the_sam(tb1: DomainBackend) -> None:
    """A member server has Administrator (-500) and a disabled Guest (-501), as LocalUser objects."""
    users = ok(run(tb1, "CAP1", call("Get-LocalUser")))
    assert [u.to_string for u in users] == ["Administrator", "Guest"]
    guest = users[1]
    assert isinstance(guest, PSObject)
    assert guest.type_names[0] == NS + "LocalUser"
    assert str(guest.properties["SID"]).endswith("-501")
    assert guest.properties["Enabled"] is False
    assert guest.properties["PrincipalSource"].name == "Local"
    assert not str(guest.properties["SID"]).startswith(_domain_sid(tb1))


def test_get_local_user_not_found(tb1: DomainBackend) -> None:
    """An exact name that does not exist: UserNotFound, non-terminating (LocalAccounts Sam.cs)."""
    record = only_error(run(tb1, "CAP1", call("Get-LocalUser", "Guest2")))
    assert record.message == "User Guest2 was not found."
    assert record.fully_qualified_error_id == "UserNotFound," + NS + "GetLocalUserCommand"
    assert record.category == "ObjectNotFound"
    assert record.exception_type == NS + "UserNotFoundException"
    assert (record.target_name, record.target_type, record.activity) == (
        "Guest2",
        "String",
        "Get-LocalUser",
    )


def test_wildcard_without_match_is_silent(tb1: DomainBackend) -> None:
    """A wildcard that matches nothing: no output, no error."""
    assert ok(run(tb1, "CAP1", call("Get-LocalUser", "Nob*"))) == []


def test_get_local_user_by_sid(tb1: DomainBackend) -> None:
    """-SID finds the renamed-proof Guest; an unknown SID is UserNotFound with a SID target."""
    users = ok(run(tb1, "CAP1", call("Get-LocalUser", SID=_guest_sid(tb1, "CAP1"))))
    assert [u.to_string for u in users] == ["Guest"]
    record = only_error(run(tb1, "CAP1", call("Get-LocalUser", SID="S-1-5-21-1-2-3-999")))
    assert record.target_type == "SecurityIdentifier"


def test_enable_and_disable_are_idempotent(tb1: DomainBackend) -> None:
    """Enable/Disable-LocalUser do nothing, silently, when already in the wanted state."""
    sid = _guest_sid(tb1, "CAP1")
    ok(run(tb1, "CAP1", call("Enable-LocalUser", SID=sid)))
    assert tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]
    ok(run(tb1, "CAP1", call("Enable-LocalUser", SID=sid)))
    ok(run(tb1, "CAP1", call("Disable-LocalUser", SID=sid)))
    ok(run(tb1, "CAP1", call("Disable-LocalUser", SID=sid)))
    assert not tb1.local_account("CAP1", sid).enabled  # type: ignore[union-attr]


def test_enable_missing_user_with_stop(tb1: DomainBackend) -> None:
    """Enable-LocalUser on a missing name with -ErrorAction Stop: terminating UserNotFound."""
    record = failed(run(tb1, "CAP1", call("Enable-LocalUser", "Nobody", ErrorAction="Stop")))
    assert record.fully_qualified_error_id == "UserNotFound," + NS + "EnableLocalUserCommand"


def test_new_local_user(tb1: DomainBackend) -> None:
    """New-LocalUser returns the LocalUser; a second one is UserExists."""
    made = ok(
        run(tb1, "CAP1", call("New-LocalUser", "svc1", Password=SecureString("Str0ng-Pass!")))
    )
    assert made[0].properties["Enabled"] is True
    record = only_error(run(tb1, "CAP1", call("New-LocalUser", "svc1", NoPassword=SWITCH)))
    assert record.fully_qualified_error_id == "UserExists," + NS + "NewLocalUserCommand"
    assert record.category == "ResourceExists"


def test_new_local_user_with_a_rejected_password_is_not_created(tb1: DomainBackend) -> None:
    """Unlike New-ADUser, a password rejected by policy leaves no user behind."""
    record = only_error(run(tb1, "CAP1", call("New-LocalUser", "svc2", Password=SecureString("x"))))
    assert record.fully_qualified_error_id == "InvalidPassword," + NS + "NewLocalUserCommand"
    assert tb1.local_account("CAP1", "svc2") is None


def test_new_local_user_name_rules(tb1: DomainBackend) -> None:
    """Names of dots/spaces, a trailing dot or bad characters are InvalidName."""
    for name in ("   ", "...", "Trailing.", "bad/name"):
        record = only_error(run(tb1, "CAP1", call("New-LocalUser", name, NoPassword=SWITCH)))
        assert record.fully_qualified_error_id == "InvalidName," + NS + "NewLocalUserCommand"


def test_new_local_user_parameter_sets(tb1: DomainBackend) -> None:
    """-NoPassword with -PasswordNeverExpires is ambiguous; no password at all is missing."""
    both = failed(
        run(
            tb1, "CAP1", call("New-LocalUser", "x1", NoPassword=SWITCH, PasswordNeverExpires=SWITCH)
        )
    )
    assert both.fully_qualified_error_id == "AmbiguousParameterSet," + NS + "NewLocalUserCommand"
    none = failed(run(tb1, "CAP1", call("New-LocalUser", "x1")))
    assert (
        none.fully_qualified_error_id == "MissingMandatoryParameter," + NS + "NewLocalUserCommand"
    )


def test_add_local_group_member_and_member_exists(tb1: DomainBackend) -> None:
    """Adding the local Guest by SID works; again is MemberExists naming COMPUTER\\Guest."""
    sid = _guest_sid(tb1, "CAP1")
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", SID=sids.BUILTIN_USERS, Member=[sid])))
    record = only_error(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=[sid])))
    assert record.message == "CAP1\\Guest is already a member of group Users."
    assert record.fully_qualified_error_id == "MemberExists," + NS + "AddLocalGroupMemberCommand"
    assert record.category == "ResourceExists"
    assert record.exception_type == NS + "MemberExistsException"
    assert (record.target_name, record.target_type) == ("Users", "LocalGroup")


def test_unqualified_member_name_resolves_to_the_domain_first(tb1: DomainBackend) -> None:
    """On a member server `-Member Guest` adds CONTOSO\\Guest, not the local Guest."""
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=["Guest"])))
    members = ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users")))
    names = [m.properties["Name"] for m in members]
    assert "CONTOSO\\Guest" in names
    assert "CAP1\\Guest" not in names
    guest = next(m for m in members if m.properties["Name"] == "CONTOSO\\Guest")
    assert str(guest.properties["SID"]).startswith(_domain_sid(tb1))
    assert guest.properties["PrincipalSource"].name == "ActiveDirectory"


def test_qualified_member_name_resolves_locally(tb1: DomainBackend) -> None:
    """COMPUTER\\Guest names the local Guest."""
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=["CAP1\\Guest"])))
    names = [
        m.properties["Name"] for m in ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users")))
    ]
    assert "CAP1\\Guest" in names


def test_principal_not_found_does_not_stop_the_others(tb1: DomainBackend) -> None:
    """Each member is processed on its own: the unknown one errors, the others are added."""
    result = run(
        tb1,
        "CAP1",
        call(
            "Add-LocalGroupMember", "Users", Member=["CAP1\\Guest", "Nobody", "CAP1\\Administrator"]
        ),
    )
    record = only_error(result)
    assert record.message == "Principal Nobody was not found."
    assert (
        record.fully_qualified_error_id == "PrincipalNotFound," + NS + "AddLocalGroupMemberCommand"
    )
    names = [
        m.properties["Name"] for m in ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users")))
    ]
    assert {"CAP1\\Guest", "CAP1\\Administrator"} <= set(names)


def test_group_not_found(tb1: DomainBackend) -> None:
    """A missing group: GroupNotFound."""
    record = only_error(run(tb1, "CAP1", call("Add-LocalGroupMember", "NoGroup", Member=["Guest"])))
    assert record.message == "Group NoGroup was not found."
    assert record.fully_qualified_error_id == "GroupNotFound," + NS + "AddLocalGroupMemberCommand"


def test_remove_local_group_member_not_a_member(tb1: DomainBackend) -> None:
    """Removing a non-member: MemberNotFound with the member as target."""
    sid = _guest_sid(tb1, "CAP1")
    record = only_error(
        run(tb1, "CAP1", call("Remove-LocalGroupMember", SID=sids.BUILTIN_USERS, Member=[sid]))
    )
    assert record.message == f"Member {sid} was not found in group Users."
    assert (
        record.fully_qualified_error_id == "MemberNotFound," + NS + "RemoveLocalGroupMemberCommand"
    )
    assert (record.target_name, record.target_type) == (sid, "String")
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=[sid])))
    ok(run(tb1, "CAP1", call("Remove-LocalGroupMember", "Users", Member=[sid])))


def test_get_local_group_member_sorted_and_filtered(tb1: DomainBackend) -> None:
    """Members are sorted by Name; an exact -Member that is absent is PrincipalNotFound."""
    ok(run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=["CAP1\\Guest"])))
    names = [
        m.properties["Name"] for m in ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users")))
    ]
    assert names == sorted(names, key=str.lower)
    found = ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users", "Guest")))
    assert [m.properties["Name"] for m in found] == ["CAP1\\Guest"]
    record = only_error(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users", "Nobody")))
    assert (
        record.fully_qualified_error_id == "PrincipalNotFound," + NS + "GetLocalGroupMemberCommand"
    )
    assert ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users", "No*"))) == []


def test_on_a_dc_local_accounts_are_the_domains(tb1: DomainBackend) -> None:
    """On a DC Get-LocalUser returns domain accounts (PSP-Inventory#26); Guest is the domain's."""
    users = ok(run(tb1, "DC1", call("Get-LocalUser", "Guest")))
    assert str(users[0].properties["SID"]) == _domain_sid(tb1) + "-501"
    assert users[0].properties["PrincipalSource"].name == "ActiveDirectory"


def test_error_action_stop_stops_at_the_first_bad_member(tb1: DomainBackend) -> None:
    """With -ErrorAction Stop, members before the unknown one are added, the rest are not."""
    members = ["CAP1\\Guest", "Nobody", "CAP1\\Administrator"]
    record = failed(
        run(tb1, "CAP1", call("Add-LocalGroupMember", "Users", Member=members, ErrorAction="Stop"))
    )
    assert (
        record.fully_qualified_error_id == "PrincipalNotFound," + NS + "AddLocalGroupMemberCommand"
    )
    names = [
        m.properties["Name"] for m in ok(run(tb1, "CAP1", call("Get-LocalGroupMember", "Users")))
    ]
    assert "CAP1\\Guest" in names
    assert "CAP1\\Administrator" not in names
