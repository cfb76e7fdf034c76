"""Reading a `--limit @file`: one pattern a line, `#` starts a comment (the only I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError, Location

MAX_LIMIT_FILE_BYTES = 1_048_576


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
        raw = path.read_bytes()[: MAX_LIMIT_FILE_BYTES + 1]
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError.single(
            "limit file not found", location=where, field="--limit", hint="give @PATH to a file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.single(
            f"cannot read limit file: {type(exc).__name__}", location=where, field="--limit"
        ) from None
    if len(raw) > MAX_LIMIT_FILE_BYTES:
        raise InputError.single("limit file is larger than 1 MB", location=where, field="--limit")
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
