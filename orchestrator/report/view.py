"""Read-only views of a ReportDocument that every file format shares.

Which steps and hosts a report shows, the text of values, times and durations: one answer for
Markdown, HTML, JSON, JUnit and the console alike (what changed: `report.diff`; how it ended:
`report.verdict`). Values are rendered defensively: a `Secret` that reached a document by
mistake still prints as `********`. Text for people names well-known SIDs (`report.sids`);
JSON keeps them raw.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.durations import format_duration
from orchestrator.report.document import (
    EscrowInfo,
    Outcome,
    ReportDocument,
    Result,
    StepInfo,
    WindowInfo,
)
from orchestrator.report.sids import name_sids
from orchestrator.secrets import REDACTED, Secret

NOT_RUN = "not run"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


# -- values ------------------------------------------------------------------------------------


def safe_text(value: object) -> str:
    """A value as text; a Secret as its redacted form."""
    if isinstance(value, Secret):
        return REDACTED
    return "" if value is None else str(value)


def plain(value: Any) -> Any:
    """JSON-ready data: mappings (keys sorted), lists, scalars; Secrets redacted."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Mapping):
        return {safe_text(k): plain(v) for k, v in sorted(value.items(), key=lambda i: str(i[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [plain(v) for v in items]
    if isinstance(value, datetime):
        return iso(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return safe_text(value)


def compact(value: Any) -> str:
    """One line of JSON-ish text, e.g. `{enabled: false, groups: ["Users"]}`."""
    return _compact(plain(value))


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        pairs = (f"{_key(k)}: {_compact(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)


def for_people(value: object) -> str:
    """Text for people: a Secret redacted, each well-known SID named."""
    return name_sids(safe_text(value))


def summary(result: Result) -> str:
    """The result's one-line summary, for people."""
    return for_people(result.summary)


def detail(result: Result) -> str:
    """Why the result is what it is: the reason and the error, when there are any."""
    parts = [for_people(result.reason), for_people(result.error)]
    if result.ignored:
        parts.append("(ignored: the step says ignore_errors)")
    if result.attempts > 1:
        parts.append(f"(after {result.attempts} attempts)")
    return " ".join(p for p in parts if p)


# -- times -------------------------------------------------------------------------------------
# One form for people, one for machines (docs/reports.md, "Times"). People read
# `2026-03-01 09:00:05 UTC` in every format and on the console: a window's deadline is shared by
# operators in different zones and checked against the targets' clocks, so no local time is
# shown. Machines (JSON) read ISO 8601 in UTC with a `Z`.

PEOPLE_TIME = "%Y-%m-%d %H:%M:%S UTC"


def _utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime is taken as UTC already."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """A moment for machines: ISO 8601 in UTC with a `Z`, or None when unknown."""
    if moment is None:
        return None
    return _utc(moment).isoformat().replace("+00:00", "Z")


def when(moment: datetime | None) -> str:
    """A moment for people: `2026-03-01 10:00:05 UTC`, or `-` when unknown."""
    return "-" if moment is None else _utc(moment).strftime(PEOPLE_TIME)


def duration(seconds: float) -> str:
    """A duration for people, e.g. `2h`, `1m30s`, `250ms`; negative ones keep their sign."""
    sign = "-" if seconds < 0 else ""
    size = abs(seconds)
    rounded = round(size) if size >= 1 else round(size, 3)
    return sign + format_duration(timedelta(seconds=rounded))


def margin_text(window: WindowInfo) -> str:
    """How long before its deadline a window closed (or how late), or `` when unknown."""
    margin = window.margin
    if margin is None:
        return ""
    if margin >= 0:
        return f"{duration(margin)} before the deadline"
    return f"{duration(-margin)} AFTER the deadline (late)"


_FAILSAFE = {
    "target": "target: a scheduled task on each host undoes the window's changes at the deadline",
    "none": "none: only the orchestrator undoes the window's changes",
}


def window_facts(window: WindowInfo, *, run: bool) -> list[tuple[str, str]]:
    """A window's declaration, budget and (for runs) what happened to it, as labelled text."""
    budget = budget_text(window) or "not computed"
    if window.budget_explained:
        budget += f": {window.budget_explained}"
    facts = [
        ("deadline after", duration(window.deadline_after)),
        ("failsafe", _FAILSAFE.get(window.failsafe, window.failsafe)),
        ("steps", "; ".join(window.steps)),
        ("revert budget", budget),
        ("deadline", when(window.deadline)),
    ]
    if run:
        facts += [
            ("opened", when(window.opened)),
            ("closing reason", window.closing_reason or "-"),
            ("closed", when(window.closed)),
            ("margin to deadline", margin_text(window) or "-"),
            ("complete", completeness(window)),
        ]
    return facts


def completeness(window: WindowInfo) -> str:
    """Whether a window's changes are all undone, and where they are not."""
    if window.complete is None:
        return "-"
    if window.complete:
        return "yes: every change undone and verified"
    hosts = ", ".join(window.open_hosts) or "unknown hosts"
    return f"NO: still open on {hosts}; their failsafes stay armed until the deadline"


def budget_text(window: WindowInfo) -> str:
    """The revert budget against the deadline, e.g. `42s of 2h (0.6 %)`."""
    if window.revert_budget is None:
        return ""
    share = 100 * window.revert_budget / window.deadline_after if window.deadline_after else 0
    return f"{duration(window.revert_budget)} of {duration(window.deadline_after)} ({share:.1f} %)"


def escrow_text(escrow: EscrowInfo) -> str:
    """Where a generated secret went, or would go, or that it is kept nowhere."""
    where = safe_text(escrow.destination)
    if not where:
        return (
            "not escrowed: it exists only in the run's memory and is lost when the run ends"
            f" (--escrow {escrow.secret}=file:PATH keeps it)"
        )
    if escrow.planned:
        return f"would be escrowed to {where} before any host is contacted"
    return f"escrowed to {where} before any host was contacted"


# -- what the report shows ---------------------------------------------------------------------


def report_steps(doc: ReportDocument) -> list[StepInfo]:
    """The playbook's steps, after the pseudo-steps (e.g. `(connect)`) that results name."""
    known = {(s.index, s.name) for s in doc.steps}
    pseudo: dict[str, list[str]] = {}
    for result in doc.results:
        if (result.step_index, result.step) not in known:
            pseudo.setdefault(result.step, []).append(result.host)
    extra = [
        StepInfo(-1, name, "", "", None, False, tuple(dict.fromkeys(hosts)))
        for name, hosts in pseudo.items()
    ]
    return [*extra, *doc.steps]


def results_for(doc: ReportDocument, step: StepInfo) -> dict[str, Result]:
    """A step's latest result on each host (a resumed run may have run it twice)."""
    return {r.host: r for r in doc.results if r.step_index == step.index and r.step == step.name}


def targets_of(doc: ReportDocument, step: StepInfo) -> list[str]:
    """The hosts a step was meant for, in the run's host order.

    Without recorded targets: the hosts it has results for, plus every host of the run when
    the run stopped early (a step it never reached still owes each host a result).
    """
    with_results = list(results_for(doc, step))
    if step.targets:
        hosts = [*step.targets, *with_results]
    elif doc.aborted and step.index >= 0:
        hosts = [*with_results, *doc.hosts]
    else:
        hosts = with_results
    return _in_run_order(doc, list(dict.fromkeys(hosts)))


def all_hosts(doc: ReportDocument) -> list[str]:
    """The run's hosts, then any host that only results name."""
    return list(dict.fromkeys([*doc.hosts, *(r.host for r in doc.results)]))


def not_run_reason(doc: ReportDocument) -> str:
    """Why a host a step was meant for has no result."""
    if doc.aborted:
        return f"the run stopped early ({safe_text(doc.aborted)})"
    return "no result was recorded (the host had left the run, or was never reached)"


def _in_run_order(doc: ReportDocument, hosts: list[str]) -> list[str]:
    order = {h: i for i, h in enumerate(doc.hosts)}
    return sorted(hosts, key=lambda h: order.get(h, len(order)))


# -- summaries ---------------------------------------------------------------------------------


_PLAN_FIRST = (Outcome.WILL_CHANGE, Outcome.NO_CHANGE, Outcome.UNKNOWN, Outcome.SKIPPED)


def outcome_order(doc: ReportDocument) -> list[Outcome]:
    """Every outcome, those of the document's kind first (a plan's start with will-change)."""
    if doc.kind == "plan":
        return [*_PLAN_FIRST, *(o for o in Outcome if o not in _PLAN_FIRST)]
    return list(Outcome)


def counts_text(doc: ReportDocument) -> str:
    """`2 changed, 1 failed, ...`, the outcomes in `outcome_order`."""
    counts = doc.counts()
    parts = [f"{counts[o.value]} {o.value}" for o in outcome_order(doc) if counts.get(o.value)]
    return ", ".join(parts) if parts else "no results"


def title(doc: ReportDocument) -> str:
    """`Run of <playbook>` or `Plan of <playbook>`."""
    return f"{'Plan' if doc.kind == 'plan' else 'Run'} of {safe_text(doc.playbook)}"
