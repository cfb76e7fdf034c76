"""Add/Remove/Get-ADGroupMember: permissive modify, all-or-nothing, PAM TTL."""

from __future__ import annotations

from datetime import timedelta

from orchestrator.lab.backend import DomainBackend

from .conftest import SWITCH, call, failed, ok, run

CMD = "Microsoft.ActiveDirectory.Management.Commands."


def _members(lab: DomainBackend, group: str) -> list[str]:
    return [
        m.properties["SamAccountName"]
        for m in ok(run(lab, "DC1", call("Get-ADGroupMember", group)))
    ]


def _enable_pam(lab: DomainBackend) -> None:
    with lab.inspect() as state:
        state.ad.pam_enabled = True


def test_add_is_permissive_by_default(tb1: DomainBackend) -> None:
    """Adding an existing member is silent; -DisablePermissiveModify makes it an error."""
    ok(run(tb1, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    ok(run(tb1, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    assert _members(tb1, "Domain Users") == ["Guest"]
    record = failed(
        run(
            tb1,
            "DC1",
            call("Add-ADGroupMember", "Domain Users", ["Guest"], DisablePermissiveModify=SWITCH),
        )
    )
    assert record.message == "The specified account name is already a member of the group"
    assert (
        record.fully_qualified_error_id == "ActiveDirectoryServer:1378," + CMD + "AddADGroupMember"
    )


def test_members_are_validated_before_any_change(tb1: DomainBackend) -> None:
    """One unknown member: terminating ValidateMembersParameter and nothing is added."""
    record = failed(run(tb1, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest", "nobody"])))
    assert (
        record.message
        == "Cannot find an object with identity: 'nobody' under: 'DC=contoso,DC=com'."
    )
    assert record.fully_qualified_error_id == (
        "SetADGroupMember.ValidateMembersParameter," + CMD + "AddADGroupMember"
    )
    assert (record.target_name, record.target_type) == ("nobody", "ADPrincipal")
    assert _members(tb1, "Domain Users") == []


def test_group_not_found(tb1: DomainBackend) -> None:
    """A missing group identity is ADIdentityNotFound on an ADGroup target."""
    record = failed(run(tb1, "DC1", call("Add-ADGroupMember", "No Group", ["Guest"])))
    assert record.target_type == "ADGroup"


def test_remove_prompts_and_is_permissive(tb1: DomainBackend) -> None:
    """Remove-ADGroupMember prompts (ConfirmImpact High); removing a non-member is silent."""
    ok(run(tb1, "DC1", call("Add-ADGroupMember", "Domain Users", ["Guest"])))
    prompt = failed(run(tb1, "DC1", call("Remove-ADGroupMember", "Domain Users", ["Guest"])))
    assert (
        prompt.fully_qualified_error_id
        == "HostFunctionNotImplemented," + CMD + "RemoveADGroupMember"
    )
    assert _members(tb1, "Domain Users") == ["Guest"]
    ok(run(tb1, "DC1", call("Remove-ADGroupMember", "Domain Users", ["Guest"], Confirm=False)))
    ok(run(tb1, "DC1", call("Remove-ADGroupMember", "Domain Users", ["Guest"], Confirm=False)))
    strict = failed(
        run(
            tb1,
            "DC1",
            call(
                "Remove-ADGroupMember",
                "Domain Users",
                ["Guest"],
                Confirm=False,
                DisablePermissiveModify=SWITCH,
            ),
        )
    )
    assert strict.fully_qualified_error_id.startswith("ActiveDirectoryServer:1377,")


def test_primary_group_members_are_not_listed(tb1: DomainBackend) -> None:
    """Domain Users' members by primary group are not in `member`: Get-ADGroupMember is empty."""
    assert _members(tb1, "Domain Users") == []
    assert _members(tb1, "Domain Admins") == ["Administrator", "labadmin"]


def test_member_ttl_needs_pam(tb1: DomainBackend) -> None:
    """-MemberTimeToLive without the PAM feature is refused (text [U])."""
    record = failed(
        run(
            tb1,
            "DC1",
            call(
                "Add-ADGroupMember", "Domain Users", ["Guest"], MemberTimeToLive=timedelta(hours=1)
            ),
        )
    )
    assert record.fully_qualified_error_id.endswith(
        ",Microsoft.ActiveDirectory.Management.Commands.AddADGroupMember"
    )
    assert _members(tb1, "Domain Users") == []


def test_member_ttl_expires_on_schedule(tb1: DomainBackend) -> None:
    """A TTL'd membership exists until its deadline, then disappears."""
    _enable_pam(tb1)
    ok(
        run(
            tb1,
            "DC1",
            call("Add-ADGroupMember", "Domain Users", ["Guest"], MemberTimeToLive="00:30:00"),
        )
    )
    tb1.advance(timedelta(minutes=29))
    assert _members(tb1, "Domain Users") == ["Guest"]
    tb1.advance(timedelta(minutes=1))
    assert _members(tb1, "Domain Users") == []
    with tb1.inspect() as state:
        assert state.ad.well_known_group(513).members == {}
