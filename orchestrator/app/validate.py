"""`orchestrator validate`: check playbooks without contacting any host.

The same loading code as `run` and `plan` (preparation.py): a playbook that validates here
loads there, and with `-i` every step's arguments are rendered for every targeted host, as a
run would bind them (secrets stay placeholders: nothing is fetched or prompted for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.app.preparation import Inputs, load_inputs, read_playbook
from orchestrator.errors import InputError, Problem
from orchestrator.playbook.binding import placeholder_secrets
from orchestrator.playbook.model import Playbook
from orchestrator.playbook.variables import parse_extra_vars


@dataclass(frozen=True)
class Outcome:
    """One playbook's verdict: a summary when it is valid, else every problem found."""

    path: str
    summary: str
    problems: tuple[Problem, ...]


def validate_playbooks(
    playbooks: Sequence[Path],
    inventory: Path | None,
    extra_vars: Sequence[str],
    limit: str | None,
) -> list[Outcome]:
    """Each playbook's outcome; InputError when the inventory or the -e values are bad."""
    inputs = _inputs(inventory, extra_vars, limit)
    return [_one(path, inputs) for path in playbooks]


def _inputs(inventory: Path | None, extra_vars: Sequence[str], limit: str | None) -> Inputs | None:
    problems: list[Problem] = []
    if inventory is None:
        if limit is not None:
            raise InputError.single("--limit needs an inventory (-i)", field="--limit")
        parse_extra_vars(list(extra_vars), Path.cwd())  # bad -e values are reported all the same
        return None
    inputs = load_inputs(inventory, extra_vars, limit, problems)
    if problems or inputs is None:
        raise InputError(problems)
    return inputs


def _one(path: Path, inputs: Inputs | None) -> Outcome:
    problems: list[Problem] = []
    playbook = read_playbook(path, problems)
    if playbook is None:
        return Outcome(str(path), "", tuple(problems))
    summary = _summary(playbook)
    if inputs is None:
        return Outcome(str(path), summary, ())
    binding = inputs.binder().bind(playbook, placeholder_secrets(playbook))
    hosts = {bound.host.name for bound in binding.bound}
    return Outcome(str(path), f"{summary}; {len(hosts)} hosts", tuple(binding.problems))


def _summary(playbook: Playbook) -> str:
    steps = sum(1 for _ in playbook.steps())
    windows = sum(1 for _ in playbook.windows())
    return f"{steps} steps, {windows} window{'s' if windows != 1 else ''}"


def problem_json(problem: Problem) -> dict[str, object]:
    """A Problem as a JSON object (file, line, column, field, message, hint)."""
    loc = problem.location
    return {
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }


def outcome_json(outcome: Outcome) -> dict[str, object]:
    """An Outcome as a JSON object."""
    return {
        "path": outcome.path,
        "ok": not outcome.problems,
        "summary": outcome.summary,
        "problems": [problem_json(p) for p in outcome.problems],
    }
