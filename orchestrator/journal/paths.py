"""Where the journal lives: `.orchestrator/` in the working directory, unless moved.

Precedence: `--state-dir`, then the environment variable ORCHESTRATOR_STATE_DIR, then
`./.orchestrator`. One rule in one place, so `run`, `resume`, `rollback` and `runs` always
agree on which journal (and which run lock) they use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

STATE_DIR_ENV = "ORCHESTRATOR_STATE_DIR"
DEFAULT_STATE_DIR = ".orchestrator"
JOURNAL_FILE = "journal.sqlite3"


def state_dir(
    cli_value: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Path:
    """The state directory as an absolute path (not created here)."""
    env = os.environ if environ is None else environ
    base = Path.cwd() if cwd is None else cwd
    if cli_value is not None:
        chosen = cli_value
    elif env.get(STATE_DIR_ENV):
        chosen = Path(env[STATE_DIR_ENV])
    else:
        chosen = Path(DEFAULT_STATE_DIR)
    return base / chosen.expanduser()


def journal_path(directory: Path) -> Path:
    """The journal database file inside a state directory."""
    return directory / JOURNAL_FILE
