"""The tokenizer of script text (script_text.py): PowerShell's tokens in argument mode
(about_Parsing), refusing every construct the lab does not run as soon as it is seen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


class UnsupportedScriptError(ValueError):
    """Script text outside the subset: `construct` names what the lab does not support."""

    def __init__(self, construct: str, line: int, column: int, token: str = "") -> None:
        super().__init__(construct)
        self.construct = construct
        self.line = line
        self.column = column
        self.token = token  # syntax only (a variable's or keyword's name), never a literal


@dataclass(frozen=True)
class Token:
    """One token: kind (word, value, param, var, pipe, comma, end), its value and position."""

    kind: str
    value: Any
    pos: int
    text: str = ""


_WORD_END = frozenset(" \t\r\n;|,&(){}'\"<>`")
NUMBER = re.compile(r"-?(?:0x[0-9a-f]+|\d+)", re.IGNORECASE)
DECIMAL = re.compile(r"-?\d+\.\d+")
_CONSTANTS = {"$true": True, "$false": False, "$null": None}
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_NAME_START = re.compile(r"[A-Za-z_?{(:]")
_PARAM = re.compile(r"-([A-Za-z_][A-Za-z0-9_]*)(:?)")
_SYMBOLS = {
    "(": "parentheses (expressions and subexpressions)",
    ")": "parentheses (expressions and subexpressions)",
    "{": "script blocks",
    "}": "script blocks",
    "<": "redirection",
    ">": "redirection",
    "[": "type literals and indexing",
    "]": "type literals and indexing",
}
_AT = {
    "(": "array subexpressions (@())",
    "{": "hash tables (@{})",
    "'": "here-strings",
    '"': "here-strings",
}


class Scanner:
    """Turns script text into tokens, refusing what the lab does not run as soon as it is seen."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, construct: str, at: int, token: str = "") -> UnsupportedScriptError:
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return UnsupportedScriptError(construct, line, column, token)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def tokens(self) -> Iterator[Token]:
        while self.pos < len(self.text):
            token = self._next()
            if token is not None:
                yield token

    def _next(self) -> Token | None:
        ch, start = self.peek(), self.pos
        if ch in " \t\f\v\ufeff":
            self.pos += 1
            return None
        handler = _HANDLERS.get(ch)
        if handler is not None:
            return handler(self)
        if ch in _SYMBOLS:
            raise self.error(_SYMBOLS[ch], start, ch)
        if ch == "-" and _PARAM.match(self.text, start):
            return self._param()
        return self._word()

    def _end(self) -> Token:
        self.pos += 2 if self.text.startswith("\r\n", self.pos) else 1
        return Token("end", None, self.pos - 1)

    def _comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def _backtick(self) -> None:
        if self.peek(1) in ("\n", "\r"):  # a line continuation
            self.pos += 3 if self.text.startswith("\r\n", self.pos + 1) else 2
            return
        raise self.error("escaped characters outside quoted strings", self.pos, "`")

    def _pipe(self) -> Token:
        if self.peek(1) == "|":
            raise self.error("the || operator", self.pos, "||")
        self.pos += 1
        return Token("pipe", None, self.pos - 1)

    def _ampersand(self) -> Token:
        two = self.peek(1) == "&"
        construct = "the && operator" if two else "the call operator (&)"
        raise self.error(construct, self.pos, "&&" if two else "&")

    def _comma(self) -> Token:
        self.pos += 1
        return Token("comma", None, self.pos - 1)

    def _single(self) -> Token:
        start, parts = self.pos, []
        self.pos += 1
        while True:
            end = self.text.find("'", self.pos)
            if end < 0:
                raise self.error("an unterminated string", start)
            parts.append(self.text[self.pos : end])
            self.pos = end + 1
            if self.peek() != "'":
                return Token("value", "".join(parts), start)
            parts.append("'")
            self.pos += 1

    def _double(self) -> Token:
        start, parts = self.pos, []
        self.pos += 1
        while self.pos < len(self.text):
            ch = self.peek()
            if ch == '"' and self.peek(1) == '"':
                parts.append('"')
                self.pos += 2
            elif ch == '"':
                self.pos += 1
                return Token("value", "".join(parts), start)
            elif ch == "`" and self.pos + 1 < len(self.text):
                parts.append(_ESCAPES.get(self.peek(1), self.peek(1)))
                self.pos += 2
            elif ch == "$" and _NAME_START.match(self.peek(1)):
                raise self.error("variables and subexpressions in double-quoted strings", self.pos)
            else:
                parts.append(ch)
                self.pos += 1
        raise self.error("an unterminated string", start)

    def _dollar(self) -> Token:
        start = self.pos
        match = re.compile(r"\$(\w+)(?![\w:])|\$").match(self.text, start)
        assert match is not None
        name = match.group(1)
        if name is not None and match.group().lower() in _CONSTANTS:
            self.pos = match.end()
            return Token("value", _CONSTANTS[match.group().lower()], start)
        if self.peek(1) == "(":
            raise self.error("subexpressions ($())", start, "$(")
        if name is None:
            raise self.error("variables", start, "$" + self.peek(1))
        self.pos = match.end()
        return Token("var", name, start, text=match.group())

    def _at(self) -> Token:
        construct = _AT.get(self.peek(1), "splatting (@name)")
        raise self.error(construct, self.pos, "@" + self.peek(1))

    def _param(self) -> Token:
        match = _PARAM.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()
        return Token("param", match.group(1), match.start(), text=match.group())

    def _word(self) -> Token:
        start = self.pos
        while self.pos < len(self.text) and self.peek() not in _WORD_END:
            if self.peek() == "$" and _NAME_START.match(self.peek(1)):
                raise self.error("variables", self.pos, "$")
            self.pos += 1
        word = self.text[start : self.pos]
        return Token("word", word, start, text=word)


_HANDLERS: dict[str, Callable[[Scanner], Token | None]] = {
    "\n": Scanner._end,
    "\r": Scanner._end,
    ";": Scanner._end,
    "#": Scanner._comment,
    "`": Scanner._backtick,
    "|": Scanner._pipe,
    "&": Scanner._ampersand,
    ",": Scanner._comma,
    "'": Scanner._single,
    '"': Scanner._double,
    "$": Scanner._dollar,
    "@": Scanner._at,
}
