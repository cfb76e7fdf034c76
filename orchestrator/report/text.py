"""The report as plain text: what the Markdown says, without markup, for a file or a pager."""

from __future__ import annotations

from orchestrator.report import view
from orchestrator.report.diff import change_lines
from orchestrator.report.document import ReportDocument, StepInfo
from orchestrator.report.verdict import result_text

_INDENT = "    "


def render_text(doc: ReportDocument) -> str:
    """The whole report as plain text."""
    parts = [
        _header(doc),
        _notices(doc),
        _credentials(doc),
        _escrows(doc),
        _windows(doc),
        _irreversible(doc),
    ]
    return "\n\n".join(p for p in [*parts, _steps(doc)] if p) + "\n"


def _heading(text: str, underline: str = "-") -> str:
    return f"{text}\n{underline * len(text)}"


def _labelled(pairs: list[tuple[str, str]], indent: str = "") -> str:
    width = max(len(k) for k, _ in pairs) + 1
    return "\n".join(f"{indent}{k + ':':<{width}} {_one_line(v)}" for k, v in pairs)


def _one_line(text: str) -> str:
    return " ".join(view.safe_text(text).splitlines())


def _header(doc: ReportDocument) -> str:
    pairs = [
        ("Playbook", doc.playbook_path),
        ("Inventory", doc.inventory_path),
        ("Run id", doc.run_id or "-"),
        ("Started", view.when(doc.started)),
        ("Finished", view.when(doc.finished)),
        ("Result", result_text(doc)),
        ("Summary", view.counts_text(doc)),
    ]
    return _heading(_one_line(view.title(doc)), "=") + "\n" + _labelled(pairs)


def _notices(doc: ReportDocument) -> str:
    """Security notices (e.g. certificate validation off); nothing when there are none."""
    if not doc.notices:
        return ""
    lines = "\n".join(f"  ! {_one_line(n)}" for n in doc.notices)
    return _heading("Security notices") + "\n" + lines


def _credentials(doc: ReportDocument) -> str:
    lines = [
        f"  {'ok' if c.ok else 'REJECTED':<8}  {c.credential} ({c.username}) on {c.host}:"
        f" {_one_line(c.message)}"
        for c in doc.credentials
    ]
    return _heading("Credential preflight") + "\n" + ("\n".join(lines) or "  none recorded")


def _escrows(doc: ReportDocument) -> str:
    """Where each generated secret went; nothing for a playbook that generates none."""
    if not doc.escrows:
        return ""
    width = max(len(e.secret) for e in doc.escrows)
    lines = [f"  {e.secret:<{width}}  {_one_line(view.escrow_text(e))}" for e in doc.escrows]
    return _heading("Generated secrets") + "\n" + "\n".join(lines)


def _windows(doc: ReportDocument) -> str:
    blocks = [
        f"  window {window.name}\n"
        + _labelled(view.window_facts(window, run=doc.kind == "run"), _INDENT)
        for window in doc.windows
    ]
    return _heading("Rollback windows") + "\n" + ("\n\n".join(blocks) or "  none")


def _irreversible(doc: ReportDocument) -> str:
    lines = [
        f"  ⚠ irreversible: {s.name} ({s.module} on {s.hosts}): no undo, no window rolls it back"
        for s in doc.steps
        if s.irreversible
    ]
    return _heading("Irreversible steps") + "\n" + ("\n".join(lines) or "  none")


def _steps(doc: ReportDocument) -> str:
    blocks = [_step(doc, step) for step in view.report_steps(doc)]
    return _heading("Steps") + "\n" + "\n\n".join(blocks)


def _step(doc: ReportDocument, step: StepInfo) -> str:
    if step.index < 0:
        title = f"{step.name}  [before the first step: reaching each host]"
    else:
        window = f", window {step.window}" if step.window else ""
        flag = "  ⚠ irreversible" if step.irreversible else ""
        title = f"{step.index + 1}. {step.name}  [{step.module} on {step.hosts}{window}]{flag}"
    hosts = view.targets_of(doc, step)
    width = max((len(h) for h in hosts), default=0)
    results = view.results_for(doc, step)
    lines = [_one_line(title)]
    for host in hosts:
        result = results.get(host)
        if result is None:
            lines.append(f"  {host:<{width}}  {view.NOT_RUN:<15}  {view.not_run_reason(doc)}")
            continue
        texts = [view.summary(result), *change_lines(result.before, result.after)]
        texts.append(view.detail(result))
        first, *rest = [line for t in texts for line in t.splitlines()] or [""]
        lines.append(f"  {host:<{width}}  {result.outcome.value:<15}  {first}".rstrip())
        lines += [f"  {'':<{width}}  {'':<15}  {line}" for line in rest]
    if not hosts:
        lines.append("  no host was targeted")
    return "\n".join(lines)
