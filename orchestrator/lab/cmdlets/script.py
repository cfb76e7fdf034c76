"""A tiny tokenizer for scheduled-task actions: `powershell.exe ... -Command "<script>"` where
the script is what the engine's failsafe generates and nothing more:

    Cmdlet-Name -Param 'single-quoted' -Switch -Flag:$false -Count 3 ; Other-Cmdlet ...

Values are single-quoted strings ('' escapes a quote), $true/$false and integers. Anything
else (variables, double quotes in the script, pipes, parentheses, bare words as arguments)
is a syntax error, and the task fails with a non-zero LastTaskResult as a broken script does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from orchestrator.lab.contract import CommandCall, Statement

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<end>;)
      | (?P<string>'(?:[^']|'')*')
      | (?P<param>-[A-Za-z][A-Za-z0-9]*:?)
      | (?P<bool>\$true\b|\$false\b)
      | (?P<number>-?\d+)(?![\w.])
      | (?P<word>[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z][A-Za-z0-9]*)?)(?=[\s;]|$)""",
    re.VERBOSE | re.IGNORECASE,
)
_SWITCHES = frozenset({"-noprofile", "-nop", "-noninteractive", "-noni", "-nologo"})
_VALUED = frozenset({"-executionpolicy", "-ep", "-windowstyle", "-w"})

IsSwitch = Callable[[str, str], bool]


class ScriptError(ValueError):
    """The action is outside the supported subset (a parse error for powershell.exe)."""


def split_command_line(text: str) -> list[str]:
    """Windows argv splitting (CommandLineToArgvW): spaces separate, double quotes group,
    backslashes escape a quote."""
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            run = len(text[i:]) - len(text[i:].lstrip("\\"))
            if i + run < len(text) and text[i + run] == '"':
                current.append("\\" * (run // 2))
                if run % 2:
                    current.append('"')
                    i += 1
                i += run
            else:
                current.append("\\" * run)
                i += run
            started = True
            continue
        if ch == '"':
            quoted, started = not quoted, True
        elif ch.isspace() and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(ch)
            started = True
        i += 1
    if quoted:
        raise ScriptError("unterminated quote")
    if started:
        args.append("".join(current))
    return args


def script_text(arguments: str) -> str:
    """The -Command text of powershell.exe's arguments (other switches: -NoProfile & co)."""
    args = split_command_line(arguments)
    i = 0
    while i < len(args):
        flag = args[i].lower()
        if flag in ("-command", "-c"):
            return " ".join(args[i + 1 :])
        if flag in _SWITCHES:
            i += 1
        elif flag in _VALUED:
            i += 2
        else:
            raise ScriptError(f"unsupported powershell.exe argument {args[i]!r}")
    raise ScriptError("no -Command")


def _value(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "bool":
        return text.lower() == "$true"
    return int(text)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise ScriptError(f"unexpected text at {pos}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        pos = match.end()
    return tokens


def _command(tokens: list[tuple[str, str]], is_switch: IsSwitch) -> CommandCall:
    kind, name = tokens[0]
    if kind != "word":
        raise ScriptError("a statement must start with a command name")
    params: list[tuple[str | None, Any]] = []
    i = 1
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word":
            raise ScriptError("bare words are not literal arguments")
        if kind != "param":
            params.append((None, _value(kind, text)))
            i += 1
            continue
        pname = text[1:].rstrip(":")
        follows = tokens[i + 1] if i + 1 < len(tokens) else None
        takes = follows is not None and follows[0] in ("string", "bool", "number")
        if text.endswith(":") and not takes:
            raise ScriptError("-Param: needs a value")
        if takes and (text.endswith(":") or not is_switch(name, pname)):
            assert follows is not None
            params.append((pname, _value(follows[0], follows[1])))
            i += 2
        else:
            params.append((pname, None))
            i += 1
    return CommandCall(name, tuple(params))


def parse_script(text: str, is_switch: IsSwitch) -> tuple[Statement, ...]:
    """Statements of a simple script; `is_switch(command, param)` decides whether `-P 'x'`
    passes 'x' to P or leaves it positional (as PowerShell's binder does for switches)."""
    statements: list[Statement] = []
    current: list[tuple[str, str]] = []
    for token in [*_tokens(text), ("end", ";")]:
        if token[0] == "end":
            if current:
                statements.append(Statement((_command(current, is_switch),)))
            current = []
        else:
            current.append(token)
    if not statements:
        raise ScriptError("empty script")
    return tuple(statements)
