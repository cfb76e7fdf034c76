"""Script text sent over PSRP (pypsrp `add_script`, Ansible's `raw`): the simple statements only.

The lab runs what a script of plain commands holds, and nothing that needs a language:

    Get-Service -Name WinRM; Get-LocalUser Administrator | Disable-LocalUser
    Set-ItemProperty -Path 'HKLM:\\Software\\X' -Name Mark -Value "a b" -Force   # a comment
    Add-LocalGroupMember -SID S-1-5-32-545 -Member 'CONTOSO\\a','CONTOSO\\b'
    exit 3

Arguments are literals, as PowerShell reads them in argument mode (about_Parsing): single-quoted
strings ('' is a quote), double-quoted strings without variables or subexpressions (`` ` ``
escapes, "" is a quote), numbers, $true/$false/$null, bare words (strings), `a,b` arrays,
-Param value, -Param:value and switches. Statements end at `;` or a newline; `|` pipes one
command into the next; `exit`, `exit N` and `exit $LASTEXITCODE` (what Ansible's psrp connection
appends to every raw command) end the script. Anything else (variables, expressions, script
blocks, keywords, redirection, splatting ...) raises `UnsupportedScriptError`, naming the construct.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from orchestrator.lab.cmdlets.script_tokens import (
    DECIMAL,
    NUMBER,
    Scanner,
    Token,
    UnsupportedScriptError,
)
from orchestrator.lab.contract import CommandCall, Statement

IsSwitch = Callable[[str, str], bool]  # (command, parameter as written) -> declared a switch


@dataclass(frozen=True)
class Exit:
    """`exit N`: the script ends here with exit code N."""

    code: int


Step = Statement | Exit

__all__ = ["Exit", "Step", "UnsupportedScriptError", "parse"]


_KEYWORDS = frozenset(  # about_Language_Keywords
    (
        "begin",
        "break",
        "catch",
        "class",
        "configuration",
        "continue",
        "data",
        "define",
        "do",
        "dynamicparam",
        "else",
        "elseif",
        "end",
        "enum",
        "filter",
        "finally",
        "for",
        "foreach",
        "from",
        "function",
        "hidden",
        "if",
        "in",
        "inlinescript",
        "parallel",
        "param",
        "process",
        "return",
        "sequence",
        "static",
        "switch",
        "throw",
        "trap",
        "try",
        "until",
        "using",
        "var",
        "while",
        "workflow",
    )
)


def _number(word: str) -> int | float | None:
    if NUMBER.fullmatch(word):
        negative = word.startswith("-")
        value = int(word.lstrip("-"), 0) if "x" in word.lower() else int(word.lstrip("-"))
        return -value if negative else value
    if DECIMAL.fullmatch(word):
        return float(word)
    return None


class _Parser:
    """Tokens of one script -> statements and exits."""

    def __init__(self, text: str, is_switch: IsSwitch) -> None:
        self.scanner = Scanner(text)
        self.is_switch = is_switch

    def steps(self) -> tuple[Step, ...]:
        steps: list[Step] = []
        current: list[Token] = []
        for token in self._tokens(current):
            if token.kind != "end":
                current.append(token)
                continue
            if current:
                steps.append(self._statement(list(current)))
            current.clear()
        return tuple(steps)

    def _tokens(self, current: list[Token]) -> Iterator[Token]:
        """Every token, then an end; a statement that begins with a keyword is refused as such,
        whatever later construct (parentheses, braces) the scanner stumbled on first."""
        try:
            yield from self.scanner.tokens()
        except UnsupportedScriptError:
            if current:
                self._check_keyword(current[0])
            raise
        yield Token("end", None, len(self.scanner.text))

    def _check_keyword(self, head: Token) -> None:
        if head.kind == "word" and head.value.lower() in _KEYWORDS:
            raise self.scanner.error(f"the '{head.value}' keyword", head.pos, head.value)

    def _statement(self, tokens: list[Token]) -> Step:
        first = tokens[0]
        if first.kind == "word" and first.value.lower() == "exit":
            return self._exit(tokens)
        elements: list[list[Token]] = [[]]
        for token in tokens:
            if token.kind == "pipe":
                elements.append([])
            else:
                elements[-1].append(token)
        return Statement(tuple(self._command(element, first.pos) for element in elements))

    def _exit(self, tokens: list[Token]) -> Exit:
        if len(tokens) == 1:
            return Exit(0)
        arg = tokens[1]
        if len(tokens) > 2:
            raise self.scanner.error("expressions after exit", tokens[2].pos)
        if arg.kind == "var" and arg.value.lower() == "lastexitcode":
            return Exit(0)  # no native command runs in the lab: $LASTEXITCODE is $null
        code = _number(arg.value) if arg.kind == "word" else arg.value
        if arg.kind == "value" and isinstance(arg.value, str):
            code = _number(arg.value.strip())
        if arg.kind == "var":
            raise self.scanner.error("variables", arg.pos, arg.text)
        if code is None or isinstance(code, bool):
            return Exit(1 if code is True else 0)
        return Exit(int(code))

    def _command(self, tokens: list[Token], statement_at: int) -> CommandCall:
        if not tokens:
            raise self.scanner.error("an empty pipe element", statement_at)
        head = tokens[0]
        if head.kind == "var":
            raise self.scanner.error("variables", head.pos, head.text)
        if head.kind != "word" or _number(head.value) is not None:
            raise self.scanner.error("expressions (a statement that starts with a value)", head.pos)
        self._check_keyword(head)
        if head.value == ".":
            raise self.scanner.error("dot-sourcing", head.pos, ".")
        return CommandCall(head.value, tuple(self._arguments(head.value, tokens[1:])))

    def _arguments(self, command: str, tokens: list[Token]) -> Iterator[tuple[str | None, Any]]:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.kind == "param":
                value_follows = i + 1 < len(tokens) and tokens[i + 1].kind != "param"
                takes = token.text.endswith(":") or not self.is_switch(command, token.value)
                if value_follows and takes:
                    value, i = self._value(tokens, i + 1)
                    yield token.value, value
                else:
                    yield token.value, None
                    i += 1
                continue
            value, i = self._value(tokens, i)
            yield None, value

    def _value(self, tokens: list[Token], i: int) -> tuple[Any, int]:
        """One argument: a literal, or literals joined by commas (an array)."""
        items = [self._literal(tokens[i])]
        i += 1
        while i < len(tokens) and tokens[i].kind == "comma":
            if i + 1 >= len(tokens) or tokens[i + 1].kind in ("comma", "param"):
                raise self.scanner.error("an array with a missing element", tokens[i].pos, ",")
            items.append(self._literal(tokens[i + 1]))
            i += 2
        return (items if len(items) > 1 else items[0]), i

    def _literal(self, token: Token) -> Any:
        if token.kind == "value":
            return token.value
        if token.kind == "word":
            number = _number(token.value)
            return token.value if number is None else number
        if token.kind == "var":
            raise self.scanner.error("variables", token.pos, token.text)
        raise self.scanner.error("the unary comma operator", token.pos, ",")


def parse(text: str, is_switch: IsSwitch) -> tuple[Step, ...]:
    """The statements and exits of a script, in order; UnsupportedScriptError for anything else.

    `is_switch(command, parameter)` decides whether `-P value` gives `value` to P or leaves it
    positional, as PowerShell's binder does for a switch parameter."""
    return _Parser(text, is_switch).steps()
