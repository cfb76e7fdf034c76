"""Reading a `--limit @file`: one pattern a line, `#` starts a comment (the only I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError, Location
from orchestrator.inputfile import MAX_INPUT_BYTES, read_input_file

MAX_LIMIT_FILE_BYTES = MAX_INPUT_BYTES  # host names, one a line: a few KiB even for thousands


@dataclass(frozen=True)
class LimitLine:
    """One pattern of a limit, and where its text starts."""

    text: str
    location: Location | None  # None: typed on the command line

    def at(self, column: int) -> Location | None:
        """The location of a 1-based column of this line's text."""
        if self.location is None:
            return None
        return Location(self.location.file, self.location.line, self.location.column + column - 1)


def read_limit_file(path: Path) -> list[LimitLine]:
    """The patterns of a limit file; an InputError when it cannot be read or holds none."""
    where = Location(str(path))
    try:
        raw = read_input_file(path, what="limit file", cap=MAX_LIMIT_FILE_BYTES, field="--limit")
    except FileNotFoundError:
        raise InputError.single(
            "limit file not found", location=where, field="--limit", hint="give @PATH to a file"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            f"limit file is not UTF-8 text (byte {exc.start})", location=where, field="--limit"
        ) from None
    lines = [line for n, text in enumerate(text.splitlines(), 1) if (line := _line(path, n, text))]
    if not lines:
        raise InputError.single("limit file holds no pattern", location=where, field="--limit")
    return lines


def _line(path: Path, number: int, text: str) -> LimitLine | None:
    # Host, group and role names never hold '#', so everything after one is a comment.
    body = text.split("#", 1)[0]
    if not body.strip():
        return None
    indent = len(body) - len(body.lstrip())
    return LimitLine(body.strip(), Location(str(path), number, indent + 1))
