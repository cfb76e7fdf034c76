"""The scheduled-task action tokenizer: exactly the failsafe's subset, nothing more."""

from __future__ import annotations

import pytest

from orchestrator.lab.cmdlets.script import (
    ScriptError,
    parse_script,
    script_text,
    split_command_line,
)
from orchestrator.lab.contract import CommandCall, Statement


def _switches(_command: str, param: str) -> bool:
    return param.lower() in ("force", "wait")


def test_simple_statements_with_literals() -> None:
    """Quoted strings ('' escapes), booleans, numbers, -Param:$false and switches."""
    script = "Disable-LocalUser -SID 'S-1-5-21-1-2-3-501'; Remove-ADGroupMember 'Domain Users' 'O''Brien' -Confirm:$false -Force -Count 3 ;"
    assert parse_script(script, _switches) == (
        Statement((CommandCall("Disable-LocalUser", (("SID", "S-1-5-21-1-2-3-501"),)),)),
        Statement(
            (
                CommandCall(
                    "Remove-ADGroupMember",
                    (
                        (None, "Domain Users"),
                        (None, "O'Brien"),
                        ("Confirm", False),
                        ("Force", None),
                        ("Count", 3),
                    ),
                ),
            )
        ),
    )


def test_a_switch_does_not_swallow_the_next_value() -> None:
    """`-Force 'x'` leaves 'x' positional, as PowerShell's binder does for a switch."""
    (statement,) = parse_script("Do-It -Force 'x'", _switches)
    assert statement.commands[0].parameters == (("Force", None), (None, "x"))


@pytest.mark.parametrize(
    "script",
    [
        "Disable-LocalUser -Name $name",
        'Disable-LocalUser -Name "Guest"',
        "Get-LocalUser | Disable-LocalUser",
        "Disable-LocalUser -Name Guest",
        "Disable-LocalUser (Get-Date)",
        "'Guest' -Name",
        "Disable-LocalUser -Name 'unterminated",
        "   ;  ",
        "Remove-Item -Path:",
    ],
)
def test_anything_else_is_a_syntax_error(script: str) -> None:
    """Variables, double quotes, pipes, bare words, sub-expressions ... are refused."""
    with pytest.raises(ScriptError):
        parse_script(script, _switches)


def test_windows_command_line_splitting() -> None:
    """CommandLineToArgvW rules: quotes group, backslash-quote escapes."""
    assert split_command_line('-NoProfile -Command "a b" c\\"d "e\\\\"') == [
        "-NoProfile",
        "-Command",
        "a b",
        'c"d',
        "e\\",
    ]
    with pytest.raises(ScriptError):
        split_command_line('-Command "open')


def test_powershell_arguments() -> None:
    """-NoProfile -NonInteractive -ExecutionPolicy X -Command "..." yields the script."""
    args = "-NoProfile -NonInteractive -ExecutionPolicy Bypass -Command \"Disable-LocalUser -SID 'S-1'\""
    assert script_text(args) == "Disable-LocalUser -SID 'S-1'"
    with pytest.raises(ScriptError):
        script_text("-EncodedCommand AAAA")
    with pytest.raises(ScriptError):
        script_text("-NoProfile")
