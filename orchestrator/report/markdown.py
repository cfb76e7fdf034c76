"""The report as Markdown, to paste into a change ticket: what ran (or would run) where."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from orchestrator.report import view
from orchestrator.report.diff import change_lines
from orchestrator.report.document import FAILING, ReportDocument, StepInfo
from orchestrator.report.verdict import result_text

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPING_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")  # one Markdown would read as an escape


def render_markdown(doc: ReportDocument) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    sections = [
        _header(doc),
        _notices(doc),
        _credentials(doc),
        _escrows(doc),
        _windows(doc),
        _irreversible(doc),
        _steps(doc),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


# -- sections ----------------------------------------------------------------------------------


def _header(doc: ReportDocument) -> str:
    size = f"{_plural(len(view.all_hosts(doc)), 'host')}, {_plural(len(doc.steps), 'step')}"
    lines = [
        f"# {_inline(view.title(doc))}",
        "",
        f"- **Playbook:** {_code(doc.playbook_path)}",
        f"- **Inventory:** {_code(doc.inventory_path)}",
        f"- **Run id:** {_code(doc.run_id) if doc.run_id else '-'}",
        f"- **Started:** {view.when(doc.started)}",
        f"- **Finished:** {view.when(doc.finished)}",
        f"- **Result:** {_inline(result_text(doc))}",
        f"- **Summary:** {view.counts_text(doc)} ({size})",
    ]
    return "\n".join(lines)


def _notices(doc: ReportDocument) -> str:
    """Security notices (e.g. certificate validation off); nothing when there are none."""
    if not doc.notices:
        return ""
    return "## Security notices\n\n" + "\n".join(f"- ⚠ {_inline(n)}" for n in doc.notices)


def _credentials(doc: ReportDocument) -> str:
    heading = "## Credential preflight"
    if not doc.credentials:
        return f"{heading}\n\n_No credential check was recorded._"
    rows = [
        [
            c.credential,
            c.username,
            c.host,
            f"✔ {view.safe_text(c.message)}" if c.ok else f"✘ **{view.safe_text(c.message)}**",
        ]
        for c in doc.credentials
    ]
    return f"{heading}\n\n" + _table(["credential", "user", "host", "result"], rows)


def _escrows(doc: ReportDocument) -> str:
    """Where each generated secret went; nothing for a playbook that generates none."""
    if not doc.escrows:
        return ""
    rows = [[e.secret, view.escrow_text(e)] for e in doc.escrows]
    return "## Generated secrets\n\n" + _table(["secret", "escrow"], rows)


def _windows(doc: ReportDocument) -> str:
    heading = "## Rollback windows"
    if not doc.windows:
        return f"{heading}\n\n_The playbook has no rollback window._"
    parts = [heading]
    for window in doc.windows:
        rows = [list(pair) for pair in view.window_facts(window, run=doc.kind == "run")]
        parts.append(f"### Window {_inline(window.name)}\n\n" + _table(["", ""], rows))
    return "\n\n".join(parts)


def _irreversible(doc: ReportDocument) -> str:
    heading = "## Irreversible steps"
    steps = [s for s in doc.steps if s.irreversible]
    if not steps:
        return f"{heading}\n\n_No step is marked irreversible._"
    lines = [
        f"- ⚠ irreversible: **{_inline(s.name)}** ({_code(s.module)} on {_code(s.hosts)}):"
        " no undo, and no window rolls it back"
        for s in steps
    ]
    return f"{heading}\n\n" + "\n".join(lines)


def _steps(doc: ReportDocument) -> str:
    parts = ["## Steps"]
    parts += [_step(doc, step) for step in view.report_steps(doc)]
    return "\n\n".join(parts)


def _step(doc: ReportDocument, step: StepInfo) -> str:
    heading = f"### {_step_title(step)}"
    facts = _step_facts(step)
    hosts = view.targets_of(doc, step)
    if not hosts:
        return f"{heading}\n\n{facts}\n\n_No host was targeted._"
    results = view.results_for(doc, step)
    rows = []
    for host in hosts:
        result = results.get(host)
        if result is None:
            rows.append([host, f"**{view.NOT_RUN}**", "", "", view.not_run_reason(doc)])
            continue
        outcome = result.outcome.value
        shown = f"**{outcome}**" if result.outcome in FAILING and not result.ignored else outcome
        rows.append(
            [
                host,
                shown,
                view.summary(result),
                _changes(change_lines(result.before, result.after)),
                view.detail(result),
            ]
        )
    headers = ["host", "outcome", "summary", "change", "reason / error"]
    return f"{heading}\n\n{facts}\n\n" + _table(headers, rows, escape=(0, 2, 4))


def _changes(lines: Sequence[str]) -> str:
    """A diff in one cell: a code span per line; the count of hidden fields in italics."""
    shown = [f"_{line}_" if line.startswith("(") else _code(line, in_cell=True) for line in lines]
    return "<br>".join(shown)


def _step_title(step: StepInfo) -> str:
    if step.index < 0:
        return _inline(step.name)
    return f"{step.index + 1}. {_inline(step.name)}"


def _step_facts(step: StepInfo) -> str:
    if step.index < 0:
        return "_Before the first step: reaching and authenticating each host._"
    facts = [f"{_code(step.module)} on {_code(step.hosts)}"]
    if step.window:
        facts.append(f"in window {_code(step.window)}")
    if step.irreversible:
        facts.append("**⚠ irreversible**")
    return " · ".join(facts)


# -- Markdown primitives -----------------------------------------------------------------------


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, escape: Sequence[int] | None = None
) -> str:
    """A GFM table; cells in `escape` (all when None) are plain text made safe for a cell."""

    def cell(i: int, text: str) -> str:
        return _cell(text) if escape is None or i in escape else text

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(i, c) for i, c in enumerate(row)) + " |" for row in rows]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Plain text that cannot end a table cell or row: `|` escaped, line breaks as `<br>`.

    A backslash before punctuation is doubled first, so `DOMAIN\\_svc` keeps it; before a
    letter (`TB\\orchestrator`) Markdown shows it as it is, and so does the raw text.
    """
    text = _ESCAPING_BACKSLASH.sub(r"\\\\", text)
    return _LINE_BREAK.sub("<br>", text.replace("|", "\\|"))


def _inline(text: str) -> str:
    """Text on one line (headings, list items)."""
    return _LINE_BREAK.sub(" ", view.safe_text(text))


def _code(text: str, *, in_cell: bool = False) -> str:
    """A code span that survives backticks and line breaks (and `|`, in a table cell)."""
    text = _inline(text)
    if in_cell:  # GFM splits cells before it reads code spans: `\|` is its way out
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}" if text else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
