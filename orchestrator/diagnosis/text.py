"""The diagnosis for people on a terminal: rich tables, most important first."""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from orchestrator.diagnosis.findings import Severity
from orchestrator.diagnosis.outcome import Diagnosis
from orchestrator.diagnosis.report import (
    SEVERITY_MARK,
    VERDICT_MARK,
    Header,
    client_host_key,
    client_key,
    grouped,
    iso,
    names,
    result,
    shown,
    title,
    without_playbook,
    yes_no,
)
from orchestrator.diagnosis.verdicts import Assessment, Verdict

_SEVERITY_STYLE = {Severity.PROBLEM: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
_VERDICT_STYLE = {
    Verdict.RECOMMENDED: "bold green",
    Verdict.ALTERNATIVE: "green",
    Verdict.BLOCKED: "red",
    Verdict.NOT_NEEDED: "dim",
}


def render_rich(d: Diagnosis, header: Header) -> RenderableType:
    """Every section, as one renderable."""
    return Group(*_sections(d, header))


def render_text(d: Diagnosis, header: Header, *, width: int = 120) -> str:
    """The same, as plain text (for --report FILE.txt)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False)
    console.print(render_rich(d, header))
    return buffer.getvalue()


def _sections(d: Diagnosis, header: Header) -> Iterator[RenderableType]:
    yield Text(title(d, header), style="bold")
    yield Text(
        f"inventory {header.inventory}"
        + (f", limit {header.limit}" if header.limit else "")
        + f"; read {iso(header.generated)}, read-only: nothing was changed"
    )
    yield Text(f"result: {result(header)}")
    yield from _notes(d)
    yield from _recommendation(d, header)
    yield _methods(d)
    yield from _clients(d)
    yield from _accounts(d)
    yield from _site(d)
    yield from _caps(d)
    yield from _client_hosts(d)
    yield from _unread(d, header)


def _heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold underline")


def _notes(d: Diagnosis) -> Iterator[RenderableType]:
    yield _heading("Findings")
    if not d.findings.notes:
        yield Text("No problem found.")
    for note in d.findings.notes:
        mark = SEVERITY_MARK[note.severity]
        yield Text(f"{mark} {note.severity}: {note.message}", style=_SEVERITY_STYLE[note.severity])


def _recommendation(d: Diagnosis, header: Header) -> Iterator[RenderableType]:
    yield _heading("Recommendation")
    if not d.recommended:
        yield Text(without_playbook(d))
    for assessment in d.recommended:
        yield from _one(assessment, header)


def _one(a: Assessment, header: Header) -> Iterator[RenderableType]:
    e = a.evaluation
    yield Text(f"{a.method.title} ({a.method.source}): {a.method.playbook}", style="bold green")
    yield Text(f"  hosts it touches: {names(list(e.hosts))}")
    yield Text(f"  review first: {a.command(header.inventory)}")
    for reason in e.reasons:
        yield Text(f"  why: {reason}")
    for caveat in e.caveats:
        yield Text(f"  caveat: {caveat}", style="yellow")


def _table(*columns: str) -> Table:
    table = Table(show_lines=False, expand=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _methods(d: Diagnosis) -> RenderableType:
    lines: list[RenderableType] = [_heading("Methods")]
    for a in d.methods:
        style = _VERDICT_STYLE[a.verdict]
        head = f"{VERDICT_MARK[a.verdict]} {a.verdict:<11} {a.method.title}"
        source = f" ({a.method.source})" if a.method.source else ""
        playbook = f": {a.method.playbook}" if a.method.playbook else ""
        lines.append(Text(head + source + playbook, style=style))
        lines += [Text(f"    {line}") for line in _method_lines(a)]
    return Group(*lines)


def _method_lines(a: Assessment) -> list[str]:
    e = a.evaluation
    if a.verdict is Verdict.BLOCKED:
        return [f"blocked: {b}" for b in e.blockers]
    if a.verdict is Verdict.ALTERNATIVE:
        return [f"why: {r}" for r in e.reasons[1:]]
    if a.verdict is Verdict.NOT_NEEDED:
        return list(e.reasons[:1])
    return []  # recommended: shown in full above


def _clients(d: Diagnosis) -> Iterator[RenderableType]:
    clients = d.findings.clients
    if not clients:
        return
    yield _heading("Clients")
    table = _table("clients", "status", "last error", "accounts held", "why")
    for key, group in grouped(clients, client_key):
        table.add_row(escape(names([c.name for c in group])), *map(escape, key))
    yield table


def _accounts(d: Diagnosis) -> Iterator[RenderableType]:
    if not d.findings.accounts:
        return
    yield _heading("Connection accounts")
    table = _table(
        "account",
        "state",
        "in site",
        "bad logons",
        "last bad password",
        "known by",
        "likely lockers",
    )
    for a in d.findings.accounts:
        f = a.facts
        table.add_row(
            escape(a.name),
            escape(str(a.state)),
            yes_no(a.in_site),
            shown(f.bad_logon_count if f else None),
            escape(shown(f.last_bad_password_attempt if f else None)),
            escape(names(a.known_by)),
            escape(names(a.lockers)),
        )
    yield table


def _site(d: Diagnosis) -> Iterator[RenderableType]:
    yield _heading("Site")
    site = d.findings.site
    if site is None:
        yield Text("The site could not be read.")
        return
    s = site.settings
    yield Text(f"site server {site.server}; connection accounts: {names(site.accounts)}")
    if s is None:
        yield Text(f"logon methods unknown: {site.settings_unknown}")
    else:
        yield Text(
            f"Windows NT Logon Discovery {yes_no(s.logon_discovery)}, Logon Installation"
            f" {yes_no(s.logon_installation)}; logon points {names(s.logon_points)}; Smsman.exe"
            f" (site) {shown(s.smsman_path, 'unknown')}"
        )
    yield Text(f"Smsman.exe (playbooks): {d.facts.smsman_path}")


def _caps(d: Diagnosis) -> Iterator[RenderableType]:
    yield _heading("Guest on the CAPs")
    if not d.findings.caps:
        yield Text("No CAP server in the inventory (or --limit).")
        return
    table = _table("CAP", "Guest", "enabled", "LimitBlankPasswordUse", "Guest can work", "why")
    for c in d.findings.caps:
        table.add_row(
            escape(c.host),
            escape(shown(c.guest)),
            yes_no(c.guest_enabled, "unknown" if c.read else "-"),
            shown(c.limit_blank_password_use, "not set" if c.read else "-"),
            yes_no(c.can_work, "unconfirmed"),
            escape(c.reason),
        )
    yield table


def _client_hosts(d: Diagnosis) -> Iterator[RenderableType]:
    hosts = d.findings.client_hosts
    if not hosts:
        return
    yield _heading("Client hosts")
    table = _table("clients", "AllowInsecureGuestAuth", "accepts Guest", "Smsman.exe", "why")
    for key, group in grouped(hosts, client_host_key):
        table.add_row(escape(names([h.host for h in group])), *map(escape, key))
    yield table


def _unread(d: Diagnosis, header: Header) -> Iterator[RenderableType]:
    if not d.facts.unread and not header.rejected:
        return
    yield _heading("Not read")
    for u in d.facts.unread:
        yield Text(f"{u.part} on {u.host}: {u.failure}: {u.reason}", style="red")
    for r in header.rejected:
        yield Text(
            f"credential {r.credential} ({r.username}) was rejected by {r.host}: one failed"
            " logon, no other host tried with it",
            style="red",
        )
