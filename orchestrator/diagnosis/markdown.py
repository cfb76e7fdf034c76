"""The diagnosis as Markdown, to paste into a change ticket: what is wrong, and what to run."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from orchestrator.diagnosis.accounts import AccountFinding
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
from orchestrator.diagnosis.verdicts import Assessment

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ESCAPING_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")  # one Markdown would read as an escape


def render_markdown(d: Diagnosis, header: Header) -> str:
    """The whole diagnosis as GitHub-flavoured Markdown."""
    sections = [
        _header(d, header),
        _notes(d),
        _recommendation(d, header),
        _methods(d),
        _clients(d),
        _accounts(d),
        _site(d),
        _caps(d),
        _client_hosts(d),
        _unread(d, header),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _header(d: Diagnosis, header: Header) -> str:
    lines = [
        f"# {_inline(title(d, header))}",
        "",
        f"- **Inventory:** {_code(header.inventory)}",
        *([f"- **Limit:** {_code(header.limit)}"] if header.limit else []),
        f"- **Site:** {_code(header.site_code)}",
        f"- **Read:** {iso(header.generated)} (read-only: nothing was changed)",
        f"- **Result:** {result(header)}",
    ]
    return "\n".join(lines)


def _notes(d: Diagnosis) -> str:
    notes = d.findings.notes
    if not notes:
        return "## Findings\n\nNo problem found."
    lines = [f"- {SEVERITY_MARK[n.severity]} **{n.severity}:** {_inline(n.message)}" for n in notes]
    return "## Findings\n\n" + "\n".join(lines)


def _recommendation(d: Diagnosis, header: Header) -> str:
    if not d.recommended:
        return f"## Recommendation\n\n{without_playbook(d)}"
    return "## Recommendation\n\n" + "\n\n".join(_one(a, header) for a in d.recommended)


def _one(a: Assessment, header: Header) -> str:
    e = a.evaluation
    lines = [
        f"### {_inline(a.method.title)} ({_inline(a.method.source)})",
        "",
        f"- **Playbook:** {_code(a.method.playbook or '')}",
        f"- **Hosts it touches:** {_inline(names(list(e.hosts)))}",
        f"- **Review first:** {_code(a.command(header.inventory) or '')}",
        *(f"- **Why:** {_inline(r)}" for r in e.reasons),
        *(f"- **Caveat:** {_inline(c)}" for c in e.caveats),
    ]
    return "\n".join(lines)


def _methods(d: Diagnosis) -> str:
    rows = [
        (
            f"{VERDICT_MARK[a.verdict]} {a.method.title} ({a.method.source or '-'})",
            str(a.verdict),
            _code(a.method.playbook or "-", in_cell=True),
            "<br>".join(_cell(x) for x in (a.evaluation.blockers or a.evaluation.reasons)),
        )
        for a in d.methods
    ]
    return "## Methods\n\n" + _table(("method", "verdict", "playbook", "why / blockers"), rows)


def _clients(d: Diagnosis) -> str:
    clients = d.findings.clients
    if not clients:
        return "## Clients\n\nThe site reports no client." if d.findings.site else ""
    rows = [(names([c.name for c in group]), *key) for key, group in grouped(clients, client_key)]
    header = ("clients", "status", "last error", "accounts held", "why")
    return "## Clients\n\n" + _table(header, [tuple(map(_cell, r)) for r in rows])


def _accounts(d: Diagnosis) -> str:
    accounts = d.findings.accounts
    if not accounts:
        return ""
    rows = [tuple(map(_cell, _account_row(a))) for a in accounts]
    header = ("account", "state", "in site", "AD", "known by", "likely lockers")
    return "## Connection accounts\n\n" + _table(header, rows)


def _account_row(a: AccountFinding) -> tuple[str, ...]:
    f = a.facts
    ad = "not read"
    if f is not None and f.exists:
        ad = (
            f"enabled {yes_no(f.enabled)}, locked out {yes_no(f.locked_out)}, bad logons"
            f" {shown(f.bad_logon_count)}, last bad password {shown(f.last_bad_password_attempt)}"
        )
    elif f is not None:
        ad = "another domain's" if f.foreign else "does not exist"
    return (a.name, str(a.state), yes_no(a.in_site), ad, names(a.known_by), names(a.lockers))


def _site(d: Diagnosis) -> str:
    site = d.findings.site
    if site is None:
        return "## Site\n\nThe site could not be read."
    s = site.settings
    rows = [
        ("site server", site.server),
        ("connection accounts", f"{names(site.accounts)} ({len(site.accounts)}; Q237759: two)"),
        ("Windows NT Logon Discovery", yes_no(s.logon_discovery) if s else "unknown"),
        ("Windows NT Logon Installation", yes_no(s.logon_installation) if s else "unknown"),
        ("logon points", names(s.logon_points) if s else "unknown"),
        ("logon share", shown(s.logon_share, "unknown") if s else "unknown"),
        ("Smsman.exe (site)", shown(s.smsman_path, "unknown") if s else "unknown"),
        ("Smsman.exe (playbooks)", d.facts.smsman_path),
    ]
    if s is None:
        rows.append(("settings", site.settings_unknown))
    return "## Site\n\n" + _table(("", ""), [tuple(map(_cell, r)) for r in rows])


def _caps(d: Diagnosis) -> str:
    caps = d.findings.caps
    if not caps:
        return "## Guest on the CAPs\n\nNo CAP server in the inventory (or --limit)."
    rows = [
        (
            c.host,
            {True: "domain controller", False: "member server", None: "unknown"}[c.on_dc],
            shown(c.guest),
            yes_no(c.guest_enabled, "unknown" if c.read else "-"),
            shown(c.limit_blank_password_use, "not set" if c.read else "-"),
            yes_no(c.can_work, "unconfirmed"),
            c.reason,
        )
        for c in caps
    ]
    header = ("CAP", "kind", "Guest", "enabled", "LimitBlankPasswordUse", "Guest can work", "why")
    return "## Guest on the CAPs\n\n" + _table(header, [tuple(map(_cell, r)) for r in rows])


def _client_hosts(d: Diagnosis) -> str:
    hosts = d.findings.client_hosts
    if not hosts:
        return ""
    rows = [
        (names([h.host for h in group]), *key) for key, group in grouped(hosts, client_host_key)
    ]
    header = ("clients", "AllowInsecureGuestAuth", "accepts Guest", "Smsman.exe", "why")
    return "## Client hosts\n\n" + _table(header, [tuple(map(_cell, r)) for r in rows])


def _unread(d: Diagnosis, header: Header) -> str:
    lines = [
        f"- {_inline(u.part)} on {_inline(u.host)}: {u.failure}: {_inline(u.reason)}"
        for u in d.facts.unread
    ]
    lines += [
        f"- credential {_code(r.credential)} ({_inline(r.username)}) was rejected by"
        f" {_inline(r.host)}: one failed logon, no other host tried with it"
        for r in header.rejected
    ]
    return "## Not read\n\n" + "\n".join(lines) if lines else ""


# -- Markdown text --------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Plain text that cannot end a table cell or row: `|` escaped, line breaks as `<br>`; a
    backslash before punctuation doubled so that `DOMAIN\\_svc` keeps it."""
    text = _ESCAPING_BACKSLASH.sub(r"\\\\", str(text))
    return _LINE_BREAK.sub("<br>", text.replace("|", "\\|"))


def _inline(text: str) -> str:
    return _LINE_BREAK.sub(" ", _ESCAPING_BACKSLASH.sub(r"\\\\", str(text)))


def _code(text: str, *, in_cell: bool = False) -> str:
    """A code span that survives backticks (and `|`, in a table cell)."""
    text = _LINE_BREAK.sub(" ", text)
    if in_cell:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}" if text else "-"
