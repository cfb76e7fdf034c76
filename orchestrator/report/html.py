"""The report as one self-contained HTML5 page: summary, preflight, host-by-step grid, timeline.

Every value from the document goes through `html.escape`; the page loads nothing by URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence

from orchestrator.report import view
from orchestrator.report.diff import change_lines
from orchestrator.report.document import FAILING, ReportDocument, Result, StepInfo, WindowInfo
from orchestrator.report.html_assets import SCRIPT, STYLE
from orchestrator.report.verdict import result_good, result_text


def render_html(doc: ReportDocument) -> str:
    """The whole report as one HTML page."""
    body = "\n".join(
        part
        for part in [
            _header(doc),
            "<main>",
            _notices(doc),
            _preflight(doc),
            _escrows(doc),
            _grid(doc),
            _timeline(doc),
            _details(doc),
            "</main>",
        ]
        if part
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(view.title(doc))}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _e(value: object) -> str:
    return html.escape(view.safe_text(value), quote=True)


# -- header ------------------------------------------------------------------------------------


def _header(doc: ReportDocument) -> str:
    verdict_class = "good" if result_good(doc) else "bad"
    facts = [
        ("playbook", f"{_e(doc.playbook)} <code>{_e(doc.playbook_path)}</code>"),
        ("inventory", f"<code>{_e(doc.inventory_path)}</code>"),
        ("run id", f"<code>{_e(doc.run_id or '-')}</code>"),
        ("started", _e(view.when(doc.started))),
        ("finished", _e(view.when(doc.finished))),
        ("exit code", _e("-" if doc.exit_code is None else doc.exit_code)),
        ("hosts", _e(len(view.all_hosts(doc)))),
        ("steps", _e(len(doc.steps))),
    ]
    return (
        f"<header>\n<h1>{_e(view.title(doc))}</h1>\n"
        f'<p class="verdict {verdict_class}">Result: {_e(result_text(doc))}</p>\n'
        + _facts(facts)
        + _counts(doc)
        + "</header>"
    )


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list; values are HTML already."""
    items = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs)
    return f'<dl class="facts">{items}</dl>\n'


def _counts(doc: ReportDocument) -> str:
    counts = doc.counts()
    items = [
        f'<li class="o-{o.value}">{counts[o.value]} {_e(o.value)}</li>'
        for o in view.outcome_order(doc)
        if counts.get(o.value)
    ]
    if not items:
        return '<p class="muted">No result was recorded.</p>\n'
    return f'<ul class="counts">{"".join(items)}</ul>\n'


def _notices(doc: ReportDocument) -> str:
    """Security notices (e.g. certificate validation off); nothing when there are none."""
    if not doc.notices:
        return ""
    items = "".join(f'<p class="verdict bad">⚠ {_e(n)}</p>\n' for n in doc.notices)
    return f'<section id="notices">\n<h2>Security notices</h2>\n{items}</section>'


# -- credential preflight ----------------------------------------------------------------------


def _preflight(doc: ReportDocument) -> str:
    heading = '<section id="preflight">\n<h2>Credential preflight</h2>\n'
    if not doc.credentials:
        return heading + '<p class="muted">No credential check was recorded.</p>\n</section>'
    rows = [
        [
            _e(c.credential),
            _e(c.username),
            _e(c.host),
            f'<span class="o {"o-ok" if c.ok else "o-failed"}">{_e(c.message)}</span>',
        ]
        for c in doc.credentials
    ]
    return heading + _table(["credential", "user", "host", "result"], rows) + "</section>"


def _escrows(doc: ReportDocument) -> str:
    """Where each generated secret went; nothing for a playbook that generates none."""
    if not doc.escrows:
        return ""
    rows = [[_e(e.secret), _e(view.escrow_text(e))] for e in doc.escrows]
    return (
        '<section id="secrets">\n<h2>Generated secrets</h2>\n'
        + _table(["secret", "escrow"], rows)
        + "</section>"
    )


# -- hosts by steps ----------------------------------------------------------------------------


def _grid(doc: ReportDocument) -> str:
    steps = view.report_steps(doc)
    results = [view.results_for(doc, s) for s in steps]
    targets = [set(view.targets_of(doc, s)) for s in steps]
    head = "".join(
        f'<th scope="col" class="col"><a href="#{_anchor(s)}">{_e(_step_label(s))}</a></th>'
        for s in steps
    )
    rows = []
    for host in view.all_hosts(doc):
        found = [(r.get(host), host in t) for r, t in zip(results, targets, strict=True)]
        problem = any(_is_problem(result, targeted) for result, targeted in found)
        rows.append(
            f'<tr data-problem="{1 if problem else 0}"><th scope="row">{_e(host)}</th>'
            + "".join(_grid_cell(doc, result, targeted) for result, targeted in found)
            + "</tr>"
        )
    return (
        '<section id="hosts">\n<h2>Hosts &times; steps</h2>\n'
        '<label class="filter"><input type="checkbox" id="only-problems"> only hosts with a'
        " failure or a step not run</label>\n"
        f'<table class="grid" id="grid"><thead><tr><th scope="col">host</th>{head}</tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n</section>"
    )


def _is_problem(result: Result | None, targeted: bool) -> bool:
    if result is None:
        return targeted
    return result.outcome in FAILING and not result.ignored


def _grid_cell(doc: ReportDocument, result: Result | None, targeted: bool) -> str:
    if result is None:
        if not targeted:
            return '<td class="o-none" title="not targeted">·</td>'
        return f'<td class="o o-not-run" title="{_e(view.not_run_reason(doc))}">{view.NOT_RUN}</td>'
    tooltip = " — ".join(t for t in (view.summary(result), view.detail(result)) if t)
    label = _e(result.outcome.value) + (" (ignored)" if result.ignored else "")
    return f'<td class="o o-{result.outcome.value}" title="{_e(tooltip)}">{label}</td>'


# -- timeline ----------------------------------------------------------------------------------


def _timeline(doc: ReportDocument) -> str:
    items = [_timeline_step(doc, s) for s in view.report_steps(doc) if s.index < 0]
    for window, steps in _segments(doc):
        if window is None:
            items += [_timeline_step(doc, s) for s in steps]
        else:
            items.append(_timeline_window(doc, window, steps))
    return (
        '<section id="timeline">\n<h2>Timeline</h2>\n<ol class="timeline">\n'
        + "\n".join(items)
        + "\n</ol>\n</section>"
    )


def _segments(doc: ReportDocument) -> Iterator[tuple[WindowInfo | None, list[StepInfo]]]:
    """Steps in order; the consecutive steps of one window together."""
    windows = {w.name: w for w in doc.windows}
    current: list[StepInfo] = []
    for step in doc.steps:
        if current and current[-1].window != step.window:
            yield windows.get(current[-1].window or ""), current
            current = []
        current.append(step)
    if current:
        yield windows.get(current[-1].window or ""), current


def _timeline_step(doc: ReportDocument, step: StepInfo) -> str:
    counts: dict[str, int] = {}
    for result in view.results_for(doc, step).values():
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    badges = " ".join(f'<span class="o o-{k}">{v} {_e(k)}</span>' for k, v in counts.items())
    where = f"{step.module} on {step.hosts}" if step.index >= 0 else "connect and authenticate"
    flag = ' <span class="irreversible">⚠ irreversible</span>' if step.irreversible else ""
    return (
        f'<li class="step"><a href="#{_anchor(step)}">{_e(_step_label(step))}</a>'
        f' <span class="muted">{_e(where)}</span>{flag} {badges}</li>'
    )


def _timeline_window(doc: ReportDocument, window: WindowInfo, steps: Sequence[StepInfo]) -> str:
    run = doc.kind == "run"
    bar = _run_bar(window) if run else _plan_bar(window)
    inner = "\n".join(_timeline_step(doc, s) for s in steps)
    return (
        f'<li class="window"><div class="window-box">\n'
        f"<strong>Window {_e(window.name)}</strong>"
        f' <span class="muted">everything in it undone within'
        f" {_e(view.duration(window.deadline_after))}</span>\n"
        f"{bar}\n{_facts(_window_facts(window, run=run))}<ol>\n{inner}\n</ol>\n</div></li>"
    )


def _window_facts(window: WindowInfo, *, run: bool) -> list[tuple[str, str]]:
    facts = [(k, _e(v)) for k, v in view.window_facts(window, run=run) if k != "complete"]
    if run and window.complete is not None:
        kind = "o-ok" if window.complete else "o-failed"
        facts.append(("complete", f'<span class="o {kind}">{_e(view.completeness(window))}</span>'))
    return facts


def _plan_bar(window: WindowInfo) -> str:
    """The deadline as the whole bar, the revert budget hatched at its end."""
    share = _share(window.revert_budget or 0.0, window.deadline_after)
    spans = [_span("forward", 0, 1 - share, "forward work")]
    if window.revert_budget is not None:
        spans.append(_span("revert", 1 - share, share, f"revert: {view.budget_text(window)}"))
    scale = [
        "opens",
        f"hatched: the revert's {view.duration(window.revert_budget or 0)} before the deadline",
        "deadline",
    ]
    return _bar(spans, scale)


def _run_bar(window: WindowInfo) -> str:
    """Opened to deadline as the whole bar: how long it stayed open, where it closed."""
    if window.opened is None or window.deadline is None:
        return '<p class="muted">The window did not open.</p>'
    total = (window.deadline - window.opened).total_seconds()
    budget = _share(window.revert_budget or 0.0, total)
    spans = [_span("revert", 1 - budget, budget, f"revert budget {view.budget_text(window)}")]
    if window.closed is None:
        spans.insert(0, _span("open", 0, 1, "not closed"))
        return _bar(spans, [view.when(window.opened), "not closed", view.when(window.deadline)])
    used = (window.closed - window.opened).total_seconds()
    late = used > total
    spans.insert(0, _span("late" if late else "open", 0, _share(used, total), "open"))
    spans.append(_span("close", min(_share(used, total), 0.995), 0, view.margin_text(window)))
    closed = f"closed {view.when(window.closed)}: {view.margin_text(window)}"
    return _bar(spans, [view.when(window.opened), closed, view.when(window.deadline)])


def _share(part: float, whole: float) -> float:
    return 0.0 if whole <= 0 else max(0.0, min(1.0, part / whole))


def _span(kind: str, left: float, width: float, title: str) -> str:
    style = f"left:{left * 100:.2f}%" + (f";width:{width * 100:.2f}%" if width else "")
    return f'<span class="{kind}" style="{style}" title="{_e(title)}"></span>'


def _bar(spans: Sequence[str], scale: Sequence[str]) -> str:
    labels = "".join(f"<span>{_e(s)}</span>" for s in scale)
    return f'<div class="bar">{"".join(spans)}</div><div class="bar-scale">{labels}</div>'


# -- per-step details --------------------------------------------------------------------------


def _details(doc: ReportDocument) -> str:
    sections = [_step_section(doc, s) for s in view.report_steps(doc)]
    return '<section id="steps">\n<h2>Steps</h2>\n' + "\n".join(sections) + "\n</section>"


def _step_section(doc: ReportDocument, step: StepInfo) -> str:
    facts = [f"<code>{_e(step.module)}</code> on <code>{_e(step.hosts)}</code>"]
    if step.index < 0:
        facts = ["before the first step: reaching and authenticating each host"]
    if step.window:
        facts.append(f"in window <code>{_e(step.window)}</code>")
    if step.irreversible:
        facts.append('<span class="irreversible">⚠ irreversible</span>')
    results = view.results_for(doc, step)
    rows = [_detail_row(doc, host, results.get(host)) for host in view.targets_of(doc, step)]
    table = (
        _table(["host", "outcome", "summary", "change", "reason / error"], rows)
        if rows
        else '<p class="muted">No host was targeted.</p>\n'
    )
    return (
        f'<section class="step" id="{_anchor(step)}">\n<h3>{_e(_step_label(step))}</h3>\n'
        f"<p>{' · '.join(facts)}</p>\n{table}</section>"
    )


def _detail_row(doc: ReportDocument, host: str, result: Result | None) -> list[str]:
    if result is None:
        outcome = f'<span class="o o-not-run">{view.NOT_RUN}</span>'
        return [_e(host), outcome, "", "", _e(view.not_run_reason(doc))]
    ignored = ' <span class="ignored">(ignored)</span>' if result.ignored else ""
    return [
        _e(host),
        f'<span class="o o-{result.outcome.value}">{_e(result.outcome.value)}</span>{ignored}',
        _e(view.summary(result)),
        _changes(change_lines(result.before, result.after)),
        _e(view.detail(result)),
    ]


_DIFF_CLASS = {"~": "d-changed", "+": "d-added", "-": "d-removed"}


def _changes(lines: Sequence[str]) -> str:
    """A diff, a line each, marked for colour; the count of hidden fields muted."""
    shown = [
        f'<code class="{_DIFF_CLASS.get(line[:1], "muted")}">{_e(line)}</code>' for line in lines
    ]
    return "<br>".join(shown)


# -- primitives --------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; cells are HTML already."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n"


def _step_label(step: StepInfo) -> str:
    return step.name if step.index < 0 else f"{step.index + 1}. {step.name}"


def _anchor(step: StepInfo) -> str:
    if step.index >= 0:
        return f"step-{step.index + 1}"
    return "step-" + (re.sub(r"[^a-z0-9]+", "-", step.name.lower()).strip("-") or "pre")
