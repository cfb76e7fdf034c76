"""Script text over PSRP: the simple statements the lab runs, and the constructs it names and
refuses."""

from __future__ import annotations

import pytest

from orchestrator.lab.cmdlets.script_text import Exit, UnsupportedScriptError, parse
from orchestrator.lab.contract import CommandCall, Statement


def _switches(_command: str, param: str) -> bool:
    return param.lower() in ("force", "passthru")


def _one(text: str) -> CommandCall:
    (statement,) = parse(text, _switches)
    assert isinstance(statement, Statement)
    (command,) = statement.commands
    return command


def test_statements_split_at_semicolons_and_newlines_and_pipes_join_commands() -> None:
    """`;` and newlines (LF or CRLF) end statements; `|` pipes one command into the next."""
    steps = parse(
        "Get-Service WinRM; Get-LocalUser Guest | Disable-LocalUser\r\nGet-Date", _switches
    )
    assert steps == (
        Statement((CommandCall("Get-Service", ((None, "WinRM"),)),)),
        Statement(
            (CommandCall("Get-LocalUser", ((None, "Guest"),)), CommandCall("Disable-LocalUser"))
        ),
        Statement((CommandCall("Get-Date"),)),
    )


def test_literals_as_powershell_reads_them_in_argument_mode() -> None:
    """Quoted strings with their escapes, numbers, constants and bare words."""
    command = _one(
        'Set-Thing -A \'it\'\'s\' -B "say ""hi"" `"now`"`t" -C 42 -D -7 -E 2.5 -F 0x10'
        " -G $true -H $FALSE -I $null -J bare\\word"
    )
    assert command.parameters == (
        ("A", "it's"),
        ("B", 'say "hi" "now"\t'),
        ("C", 42),
        ("D", -7),
        ("E", 2.5),
        ("F", 16),
        ("G", True),
        ("H", False),
        ("I", None),
        ("J", "bare\\word"),
    )


def test_switches_colon_values_positionals_and_arrays() -> None:
    """A declared switch leaves the next value positional; -P:value always binds; a,b is one
    array argument."""
    command = _one("Add-Thing -Force 'pos' -Confirm:$false -Member 'a','b', c -PassThru:$true x")
    assert command.parameters == (
        ("Force", None),
        (None, "pos"),
        ("Confirm", False),
        ("Member", ["a", "b", "c"]),
        ("PassThru", True),
        (None, "x"),
    )


def test_comments_and_line_continuations_are_skipped() -> None:
    """`# ...` runs to the end of the line; a backtick at the end of a line continues it."""
    steps = parse("# probe\nGet-Date `\n  -Format o  # the ISO form\n", _switches)
    assert steps == (Statement((CommandCall("Get-Date", (("Format", "o"),)),)),)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("exit", 0),
        ("exit 3", 3),
        ("exit -1", -1),
        ("exit '7'", 7),
        ("exit $null", 0),
        ("exit $LASTEXITCODE", 0),  # what Ansible's psrp connection appends to a raw command
    ],
)
def test_exit_ends_the_script_with_its_code(text: str, code: int) -> None:
    """`exit`, `exit N` and `exit $LASTEXITCODE` (no native command ran: $null, so 0)."""
    assert parse(f"Get-Date\n{text}", _switches) == (
        Statement((CommandCall("Get-Date"),)),
        Exit(code),
    )


@pytest.mark.parametrize(
    ("text", "construct", "where", "token"),
    [
        ("$x = 1", "variables", (1, 1), "$x"),
        ("Get-LocalUser -Name $name", "variables", (1, 21), "$name"),
        ("Get-Date\nGet-LocalUser | Where-Object { $_.Enabled }", "script blocks", (2, 30), "{"),
        ("Get-Date (Get-Date)", "parentheses (expressions and subexpressions)", (1, 10), "("),
        ("Get-Item $(Get-Date)", "subexpressions ($())", (1, 10), "$("),
        (
            'Write-Output "hi $env:USERNAME"',
            "variables and subexpressions in double-quoted strings",
            (1, 18),
            "",
        ),
        ("Get-Date > C:\\out.txt", "redirection", (1, 10), ">"),
        ("Get-Date 2>&1", "redirection", (1, 11), ">"),
        ("Get-Thing @params", "splatting (@name)", (1, 11), "@p"),
        ("Get-Thing @{a=1}", "hash tables (@{})", (1, 11), "@{"),
        ("Get-Thing @(1)", "array subexpressions (@())", (1, 11), "@("),
        ("& 'C:\\x.exe'", "the call operator (&)", (1, 1), "&"),
        ("Get-Date && Get-Date", "the && operator", (1, 10), "&&"),
        ("Get-Date || Get-Date", "the || operator", (1, 10), "||"),
        ("if ($true) { Get-Date }", "the 'if' keyword", (1, 1), "if"),
        ("Get-Date; foreach ($u in Get-LocalUser) {}", "the 'foreach' keyword", (1, 11), "foreach"),
        ("throw 'boom'", "the 'throw' keyword", (1, 1), "throw"),
        ("param($Name) Get-Date", "the 'param' keyword", (1, 1), "param"),
        ("'text'", "expressions (a statement that starts with a value)", (1, 1), ""),
        ("42", "expressions (a statement that starts with a value)", (1, 1), ""),
        ("[int]'4'", "type literals and indexing", (1, 1), "["),
        (". C:\\profile.ps1", "dot-sourcing", (1, 1), "."),
        ("Get-Date |", "an empty pipe element", (1, 1), ""),
        ("Get-Thing 'open", "an unterminated string", (1, 11), ""),
        ("Get-Thing a,", "an array with a missing element", (1, 12), ","),
        ("Get-Thing ,a", "the unary comma operator", (1, 11), ","),
        ("exit 1 + 1", "expressions after exit", (1, 8), ""),
        ("exit $code", "variables", (1, 6), "$code"),
    ],
)
def test_anything_else_is_refused_naming_the_construct(
    text: str, construct: str, where: tuple[int, int], token: str
) -> None:
    """Variables, expressions, blocks, keywords, redirection, splatting: named, with where."""
    with pytest.raises(UnsupportedScriptError) as info:
        parse(text, _switches)
    assert (info.value.construct, (info.value.line, info.value.column)) == (construct, where)
    assert info.value.token == token


def test_a_refusal_never_quotes_a_literal() -> None:
    """The error names syntax only: a quoted secret before the construct is not in it."""
    with pytest.raises(UnsupportedScriptError) as info:
        parse("Set-Secret -Password 'Canary-9' $rest", _switches)
    assert "Canary-9" not in f"{info.value} {info.value.token} {info.value.construct}"


def test_blank_text_is_no_statement() -> None:
    """Only whitespace and comments: nothing to run."""
    assert parse("  \n# nothing\n ; ", _switches) == ()
