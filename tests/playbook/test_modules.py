"""Each module's own argument schema."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.modules import MODULES
from orchestrator.modules.registry import normalize_path
from orchestrator.secrets import Secret


def _check(module: str, args: dict[str, Any]) -> Any:
    return MODULES[module].args.model_validate(args)


def _refused(module: str, args: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        _check(module, args)
    assert fragment in str(info.value)


def test_the_first_modules_are_all_there() -> None:
    """The eleven modules of the first set, probe and assert each have an argument schema."""
    assert set(MODULES) == {
        "local_user",
        "local_group_member",
        "ad_user",
        "ad_group_member",
        "registry",
        "service",
        "scheduled_task",
        "process",
        "wait_for",
        "sms_connection_account",
        "powershell",
        "probe",
        "assert",
    }


def test_local_user_by_name_or_sid_not_both() -> None:
    """local_user takes a name or a SID (the Guest's relative SID form), not both."""
    assert _check("local_user", {"sid": "S-1-5-21-*-501", "enabled": True}).sid == "S-1-5-21-*-501"
    assert _check("local_user", {"name": "svc", "password": Secret("x")}).name == "svc"
    _refused("local_user", {"name": "a", "sid": "S-1-5-32-545"}, "exactly one of 'name' or 'sid'")
    _refused("local_user", {"sid": "S-1-5-21-x-501"}, "should match pattern")
    _refused("local_user", {"name": "a", "state": "absent", "enabled": True}, "an absent account")


def test_ad_user_password_must_be_a_secret() -> None:
    """ad_user refuses a literal password; a Secret is accepted."""
    ok = _check("ad_user", {"name": "SMSClient2_TB1", "password": Secret("x"), "enabled": True})
    assert ok.enabled is True
    _refused("ad_user", {"name": "n", "password": "plain"}, "must come from a declared secret")
    _refused(
        "ad_user", {"name": "n", "state": "absent", "enabled": False}, "only its 'name' or 'sid'"
    )
    _refused("ad_user", {"name": "n", "path": "Users"}, "should match pattern")


def test_group_members_refuse_an_unqualified_guest() -> None:
    """Both group modules refuse a bare 'Guest' member (the domain-member name trap)."""
    _refused("local_group_member", {"group": "Users", "members": ["guest"]}, "DOMAIN Guest")
    _refused("ad_group_member", {"group": "Domain Users", "members": ["Guest"]}, "DOMAIN Guest")
    ok = _check("local_group_member", {"group_sid": "S-1-5-32-545", "members": ["S-1-5-21-*-501"]})
    assert ok.members == ("S-1-5-21-*-501",)


def test_ad_group_member_ttl_only_when_adding() -> None:
    """member_ttl is a duration and makes sense only for state present."""
    ok = _check("ad_group_member", {"group": "Domain Users", "members": ["x"], "member_ttl": "2h"})
    assert ok.member_ttl.total_seconds() == 7200
    _refused(
        "ad_group_member",
        {"group": "g", "members": ["x"], "state": "absent", "member_ttl": "1h"},
        "only when adding",
    )


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("REG_SZ", "2000/06/13 06:28.53"),
        ("REG_EXPAND_SZ", "%WinDir%\\x"),
        ("REG_DWORD", 4294967295),
        ("REG_QWORD", 2**64 - 1),
        ("REG_MULTI_SZ", ["a", "b"]),
        ("REG_BINARY", "01 a0 ff"),
    ],
)
def test_registry_accepts_each_value_type(kind: str, value: object) -> None:
    """Every REG_ type takes its own kind of value."""
    args = _check(
        "registry", {"path": "HKLM:\\Software\\X", "name": "v", "type": kind, "value": value}
    )
    assert args.value == value


@pytest.mark.parametrize(
    ("kind", "value", "fragment"),
    [
        ("REG_SZ", 5, "takes text"),
        ("REG_DWORD", -1, "0 to 4294967295"),
        ("REG_DWORD", "1", "whole number"),
        ("REG_MULTI_SZ", "a", "list of text"),
        ("REG_BINARY", "zz", "hex bytes"),
    ],
)
def test_registry_refuses_mismatched_values(kind: str, value: object, fragment: str) -> None:
    """A value that does not fit its REG_ type is refused with the reason."""
    _refused("registry", {"path": "HKLM:\\S", "name": "v", "type": kind, "value": value}, fragment)


def test_registry_paths_are_normalized() -> None:
    """HKEY_LOCAL_MACHINE\\... and HKLM\\... both become HKLM:\\..."""
    assert (
        normalize_path("HKEY_LOCAL_MACHINE\\Software\\Microsoft\\") == "HKLM:\\Software\\Microsoft"
    )
    assert normalize_path("hklm:\\Software") == "HKLM:\\Software"
    _refused("registry", {"path": "C:\\x", "name": "v", "state": "absent"}, "should match pattern")


def test_scheduled_task_needs_a_time_and_a_program() -> None:
    """A present task needs `at` and `execute`; its end boundary defaults to an hour later."""
    args = _check(
        "scheduled_task", {"name": "t", "at": "2026-11-25T12:00:00", "execute": "powershell.exe"}
    )
    assert args.end_after.total_seconds() == 3600
    assert args.start_when_available is True
    _refused("scheduled_task", {"name": "t", "execute": "x"}, "needs 'at' and 'execute'")


def test_wait_for_probe_forms() -> None:
    """A probe is a name or a one-key mapping with its arguments; the interval fits the timeout."""
    short = _check("wait_for", {"probe": {"service": {"name": "x"}}, "until": "a", "timeout": "5m"})
    assert short.probe_name == "service"
    _refused("wait_for", {"probe": "service", "until": "a", "timeout": "5m"}, "probe service: name")
    _refused(
        "wait_for",
        {"probe": {"registry": {"path": "x", "nam": "y"}}, "until": "a", "timeout": "5m"},
        "probe registry: name: Field required; nam: Extra inputs are not permitted",
    )
    _refused("wait_for", {"probe": {"a": {}, "b": {}}, "until": "x", "timeout": "1m"}, "one probe")
    _refused(
        "wait_for",
        {"probe": {"service": {"name": "x"}}, "until": "x", "timeout": "1m", "interval": "2m"},
        "no longer than 'timeout'",
    )
    _refused(
        "wait_for",
        {"probe": {"service": {"name": "x"}}, "until": "a >", "timeout": "1m"},
        "syntax error",
    )


def test_powershell_script_is_never_templated() -> None:
    """Templates in script text are refused: values go through parameters."""
    ok = _check("powershell", {"script": "param($n) Get-Item $n", "parameters": {"n": "x"}})
    assert ok.parameters == {"n": "x"}
    _refused("powershell", {"script": "Get-Item {{ path }}"}, "pass values through 'parameters'")


def test_process_and_connection_account_arguments() -> None:
    """process defaults to exit code 0; connection accounts are DOMAIN\\name in a 3-char site."""
    assert _check(
        "process", {"path": "smsman.exe", "arguments": ["/u", "/q"]}
    ).expected_exit_codes == (0,)
    _refused("sms_connection_account", {"site_code": "TB1", "account": "SMSClient_TB1"}, "pattern")
    _refused("sms_connection_account", {"site_code": "TB12", "account": "TB1\\x"}, "pattern")


def test_irreversibility_depends_on_the_arguments() -> None:
    """Deleting accounts and running programs cannot be undone; enabling an account can."""
    assert MODULES["ad_user"].irreversible({"name": "x", "state": "absent"})
    assert MODULES["ad_user"].irreversible({"name": "x"}) is None
    assert MODULES["process"].irreversible({"path": "x"})
    assert MODULES["local_group_member"].irreversible({"group": "Users", "members": ["a"]}) is None
