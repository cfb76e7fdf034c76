"""The account logic ad_user and local_user share: names, plans, diffs and undos, without a host."""

from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError

from orchestrator.commands import Command, CommandResult
from orchestrator.modules import ad_user, local_user
from orchestrator.modules.accounts import AccountArgs, AccountPlan, differs, restored
from orchestrator.modules.protocol import StepContext
from orchestrator.secrets import Secret

GUEST = "S-1-5-21-*-501"


def test_the_twins_public_names_still_import() -> None:
    """What probes, the group modules, the engine and tests import from the twins is there."""
    names = {
        "ad_user": ("Args", "SPEC", "ad_identity", "domain_sid", "find_ad_user", "AdUser"),
        "local_user": ("Args", "SPEC", "find_user", "group_selector", "member_sids"),
        "ad_group_member": ("Args", "SPEC", "AdGroupMember", "timespan_text"),
        "local_group_member": ("Args", "SPEC", "LocalGroupMember"),
    }
    for module, wanted in names.items():
        loaded = importlib.import_module(f"orchestrator.modules.{module}")
        assert [n for n in wanted if not hasattr(loaded, n)] == [], module


@pytest.mark.parametrize("args", [ad_user.Args, local_user.Args])
def test_exactly_one_of_name_or_sid_is_checked_first(args: type[AccountArgs]) -> None:
    """Both twins refuse a name with a SID before any of their own checks."""
    with pytest.raises(ValidationError, match="exactly one of 'name' or 'sid'"):
        args.model_validate({"name": "a", "sid": GUEST, "state": "absent", "enabled": True})


def test_the_plan_phrases_keep_each_familys_order() -> None:
    """AD phrases PasswordNeverExpires before the description; local phrases groups last."""
    ad = ad_user.AdUser().plan(
        ad_user.Args(sid=GUEST, enabled=True, password_never_expires=True, description="d"),
        ad_user.AdUserState(True, "Guest", "S-1-5-21-1-501", enabled=False, description="x"),
    )
    assert ad.phrases("AD user", "Guest") == [
        "enable Guest",
        "set PasswordNeverExpires=True",
        "set the description of Guest",
    ]
    local = local_user.LocalUser().plan(
        local_user.Args(sid=GUEST, description="d", groups=("Users",)),
        local_user.LocalUserState(
            True, "Guest", "S-1-5-21-2-501", False, "x", (local_user.Membership("Users", False),)
        ),
    )
    assert local.phrases("local user", "Guest") == [
        "set the description of Guest",
        "add Guest to Users",
    ]


def test_differs_and_restored_leave_out_what_is_not_changed() -> None:
    """A setting not given or already as wanted is no change; an unchanged one is not restored."""
    assert differs(None, True) is None
    assert differs(True, True) is None
    assert differs(False, True) is False
    assert restored(None, "before") is None
    assert restored("", "before") == "before"
    assert AccountPlan().phrases("local user", "x") == []


def test_a_local_undo_restores_settings_then_leaves_the_groups() -> None:
    """Undo sets enabled and the description back, then takes the account out of each group."""
    given = local_user.Args(sid=GUEST, enabled=True, description="d", groups=("Users",))
    state = local_user.LocalUserState(
        True, "Guest", "S-1-5-21-2-501", False, "", (local_user.Membership("Users", False),)
    )
    undo = local_user.LocalUser().undo(given, state)
    assert [c.describe() for c in undo or ()] == [
        "Disable-LocalUser -SID 'S-1-5-21-2-501' -ErrorAction 'Stop'",
        "Set-LocalUser -SID 'S-1-5-21-2-501' -Description '' -ErrorAction 'Stop'",
        "Remove-LocalGroupMember -Name 'Users' -Member 'S-1-5-21-2-501' -ErrorAction 'Stop'",
    ]


def test_an_ad_creation_sends_new_aduser_alone() -> None:
    """Creating an AD user is one New-ADUser: nothing is left to update afterwards."""
    given = ad_user.Args(name="svc", state="present", password=Secret("x"), enabled=True)
    logic = ad_user.AdUser().apply(given, ad_user.AdUserState(False), StepContext("DC1"))
    sent = next(logic)
    assert isinstance(sent, Command)
    assert sent.cmdlet == "New-ADUser"
    with pytest.raises(StopIteration):
        logic.send(CommandResult(sent))
