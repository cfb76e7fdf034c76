"""How a run or plan ended, in words, from its exit code: the one wording every format shows.

The exit code is the contract (README, "Exit codes"; `app.run.exit_code`, `app.plan.
plan_exit_code`), so the words follow it: a non-zero exit never reads as success. Without an
exit code (a document built outside a command), the results decide which code it would be.

The table of wordings is in docs/reports.md ("The result"); `_PHRASES` below is that table.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.report.document import FAILING, Outcome, ReportDocument
from orchestrator.report.view import safe_text

Phrase = Callable[[ReportDocument], str]


def result_text(doc: ReportDocument) -> str:
    """`failed — 2 hosts failed (exit 1)`: how it ended, and its exit code when known."""
    code = doc.exit_code
    phrase = _PHRASES[doc.kind == "plan"].get(_code_of(doc) if code is None else code)
    if phrase is None:
        return f"ended with exit {code}"
    if code is None:
        return phrase(doc)
    exit_text = "exit 6 with --detailed-exitcode" if code == 6 else f"exit {code}"
    return f"{phrase(doc)} ({exit_text})"


def result_good(doc: ReportDocument) -> bool:
    """True when it ended as it should: exit 0, or a plan's changes pending (6)."""
    code = _code_of(doc) if doc.exit_code is None else doc.exit_code
    return code == 0 or (code == 6 and doc.kind == "plan")


def _code_of(doc: ReportDocument) -> int:
    """The exit code the results call for, when none was recorded."""
    if doc.kind == "run" and any(w.complete is False for w in doc.windows):
        return 3
    return 1 if doc.failed else 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _count(doc: ReportDocument, *outcomes: Outcome) -> int:
    return sum(1 for r in doc.results if r.outcome in outcomes)


def _run_succeeded(doc: ReportDocument) -> str:
    if doc.exit_code is None and doc.finished is None:
        return "did not finish"
    made = _count(doc, Outcome.CHANGED, Outcome.ROLLED_BACK, Outcome.ROLLBACK_FAILED)
    if not made:
        return "succeeded, nothing changed"
    rolled_back = _count(doc, Outcome.ROLLED_BACK)
    undone = f", {rolled_back} rolled back" if rolled_back else ""
    return f"succeeded, {_plural(made, 'change')} made{undone}"


def _run_failed(doc: ReportDocument) -> str:
    hosts = {r.host for r in doc.results if r.outcome in FAILING and not r.ignored}
    parts = [f"{_plural(len(hosts), 'host')} failed"] if hosts else []
    if doc.aborted:
        parts.append(f"stopped early: {safe_text(doc.aborted)}")
    return "failed — " + "; ".join(parts) if parts else "failed"


def _rollback_incomplete(doc: ReportDocument) -> str:
    hosts = list(dict.fromkeys(h for w in doc.windows if w.complete is False for h in w.open_hosts))
    where = f"still open on {', '.join(hosts)}: " if hosts else ""
    fire = "its failsafe fires" if len(hosts) == 1 else "their failsafes fire"
    run = safe_text(doc.run_id) or "RUN"
    return (
        f"failed, rollback incomplete — {where}{fire} at the deadline;"
        f" finish with `orchestrator rollback {run}`"
    )


def _refused(doc: ReportDocument) -> str:
    return f"refused — {safe_text(doc.aborted)}" if doc.aborted else "refused"


def _rejected(doc: ReportDocument) -> str:
    rejected = "; ".join(
        f"{safe_text(c.credential)} ({safe_text(c.username)}) by {safe_text(c.host)}"
        for c in doc.credentials
        if not c.ok
    )
    said = f" — {rejected}" if rejected else ""
    return f"credential rejected{said}: one attempt, no other host contacted with it"


def _pending(doc: ReportDocument) -> str:
    will, unknown = _count(doc, Outcome.WILL_CHANGE), _count(doc, Outcome.UNKNOWN)
    if not will and not unknown:
        return "nothing to change"
    pending = f"{_plural(will, 'change')} pending" if will else "no change predicted"
    return pending + (f", {unknown} unknown" if unknown else "")


def _fixed(text: str) -> Phrase:
    return lambda _doc: text


_PHRASES: dict[bool, dict[int, Phrase]] = {
    False: {  # runs
        0: _run_succeeded,
        1: _run_failed,
        2: _fixed("invalid input: nothing was run"),
        3: _rollback_incomplete,
        4: _refused,
        5: _rejected,
        70: _fixed("internal error"),
    },
    True: {  # plans
        0: _pending,
        1: _fixed("failed — at least one host could not be planned"),
        2: _fixed("invalid input: nothing was planned"),
        4: _fixed("refused — a window's revert cannot fit its deadline"),
        5: _rejected,
        6: _pending,
        70: _fixed("internal error"),
    },
}
