"""No text file under orchestrator/, docs/, playbooks/, tests/ or README.md names a private
reference document ("windows-semantics", "winrm-protocol-notes", "windows-recordings",
"/shared/reference"), uses "§" except right after a protocol spec name as in "[MS-SAMR] §3.1.5",
or cites a bare source key of those documents such as "(S24)"."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOTS = ("orchestrator", "docs", "playbooks", "tests")
FILES = ("README.md",)
SELF = Path(__file__).resolve()

SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
        "node_modules",
    }
)

# Files are the union of `git ls-files` and a walk of the same paths (untracked files count);
# .venv, caches, *.egg-info, binary files and this file are skipped. Bracketed spec names are
# public Microsoft protocol documents ([MS-PSRP], [MS-WSMV], [MS-SAMR], [MS-NLMP], [MS-TSCH],
# [MS-ADTS], ...). A source key is "S" and one or two digits standing alone as a word; a quoted
# "S1" (a shell id in a test) or "%S" (a strftime field) is not one.
PRIVATE_NAMES = ("windows-semantics", "winrm-protocol-notes", "windows-recordings")
PRIVATE_PATH = "/shared/reference"
SPEC_SECTION = re.compile(r"\[MS-[A-Z0-9]+\] ?§")
SOURCE_KEY = re.compile(r"(?<![\w\"'%\\-])S\d{1,2}(?![\w\"'-])")


def _tracked() -> set[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", *ROOTS, *FILES],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {ROOT / name for name in out.decode().split("\0") if name}


def _walked() -> set[Path]:
    found = {ROOT / name for name in FILES}
    for top in ROOTS:
        for folder, dirs, names in os.walk(ROOT / top):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
            found.update(Path(folder) / name for name in names)
    return found


def _text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _problems(line: str) -> list[str]:
    found = [name for name in PRIVATE_NAMES if name in line]
    if PRIVATE_PATH in line:
        found.append(PRIVATE_PATH)
    if line.count("§") > len(SPEC_SECTION.findall(line)):
        found.append("§ without a protocol spec name")
    found += [f"source key {key}" for key in SOURCE_KEY.findall(line)]
    return found


def _violations() -> list[str]:
    report = []
    for path in sorted(_tracked() | _walked()):
        relative = path.relative_to(ROOT).as_posix()
        if path.resolve() == SELF:
            continue
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if found := _problems(line):
                report.append(f"{relative}:{number}: {', '.join(found)}: {line.strip()}")
    return report


def test_no_private_citations() -> None:
    """No project file cites the private reference documents."""
    violations = _violations()
    assert not violations, "private citations:\n" + "\n".join(violations)


def test_the_rule_itself() -> None:
    """Private names, bare section marks and source keys are caught; spec sections are not."""
    assert _problems("see windows-semantics.md") == ["windows-semantics"]
    assert _problems("(notes §4.3)") == ["§ without a protocol spec name"]
    assert _problems("(S24)") == ["source key S24"]
    assert _problems("[MS-SAMR] §3.1.5.14.6, [MS-PSRP] 2.2.4") == []
    assert _problems('CmdShell("S1", "dc01")  # %S, S-1-5-21-*-501, HTTPS, KB Q236052') == []
