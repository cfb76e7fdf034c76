"""`orchestrator diagnose`: read the domain and the site, change nothing, say what is wrong and
which of Q236052's methods (or Q237759's rotation) to run.

The inventory and -e values load with run's and plan's code (preparation.py); the hosts are
reached through one fan-out (its preflight: every host asked at once, then one logon per
credential, the breaker in front of every connection). Every reader (diagnosis/readers.py) is
driven behind plan's PlanTransport, which refuses any mutating command: reading is read-only
by construction. The site server is read first (the accounts it and its clients know are
what the directory is asked about), then the first domain controller, the CAPs and the
clients at once, each host once. A host that cannot be read is reported, never fatal.

Exit codes (README, docs/diagnose.md): 0 healthy, nothing to recover; 6 recovery or
prevention recommended; 1 something could not be read; 2 invalid input; 5 a credential was
rejected.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from orchestrator import __version__
from orchestrator.app.preparation import load_inputs, resolve_credentials
from orchestrator.app.reach import ConnectorFactory, open_fanout
from orchestrator.diagnosis import Diagnosis, diagnose
from orchestrator.diagnosis.accounts import all_accounts
from orchestrator.diagnosis.facts import (
    DEFAULT_SMSMAN,
    Facts,
    Failure,
    Part,
    Scope,
    SiteFacts,
    Unread,
)
from orchestrator.diagnosis.json_report import render_json
from orchestrator.diagnosis.markdown import render_markdown
from orchestrator.diagnosis.readers import read_cap, read_client_host, read_directory, read_site
from orchestrator.diagnosis.report import Header, Rejected
from orchestrator.diagnosis.text import render_rich, render_text
from orchestrator.engine.fanout import Fanout, OutKind
from orchestrator.engine.step import drive
from orchestrator.errors import (
    AuthError,
    ConnectError,
    InputError,
    OrchestratorError,
    Problem,
)
from orchestrator.inventory.model import Host, Inventory, Role
from orchestrator.logging import Redactor, configure
from orchestrator.modules.protocol import Logic
from orchestrator.planning.planner import PlanTransport, PlanViolationError
from orchestrator.playbook.variables import Var

EXIT_HEALTHY = 0
EXIT_UNREAD = 1
EXIT_AUTH = 5
EXIT_ACTION = 6
FORMATS = ("text", "markdown", "json")
_BY_EXTENSION = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".txt": "text"}
_SITE_CODE = re.compile(r"^[A-Za-z0-9]{3}$")


@dataclass(frozen=True)
class DiagnoseOptions:
    """What to diagnose and how to show it."""

    inventory: Path
    extra_vars: tuple[str, ...] = ()
    limit: str | None = None
    site_code: str | None = None  # default: -e site_code, else the site server's site_code var
    format: str = "text"  # what goes to stdout: text, markdown or json
    report: Path | None = None  # also written there, in the format its extension names
    forks: int | None = None
    workers: int | None = None  # processes that talk to hosts (None: one per core)
    verbosity: int = 0


@dataclass(frozen=True)
class Targets:
    """The hosts diagnose reads: the first site server and domain controller, CAPs, clients."""

    site: Host
    dc: Host
    caps: tuple[Host, ...]
    clients: tuple[Host, ...]
    operators: tuple[str, ...] = ()

    def hosts(self) -> list[Host]:
        """Each host once, in the order they are read."""
        found = {h.name: h for h in (self.site, self.dc, *self.caps, *self.clients)}
        return list(found.values())

    def scope(self, inventory: Inventory) -> Scope:
        """The inventory's hosts by role, as the rules name them."""
        return Scope(
            site_servers=_role(inventory, Role.SITE_SERVER),
            domain_controllers=_role(inventory, Role.DOMAIN_CONTROLLER),
            caps=tuple(h.name for h in self.caps),
            clients=tuple(h.name for h in self.clients),
            logon_points=_role(inventory, Role.LOGON_POINT),
            operators=self.operators,
        )


def diagnose_site(
    options: DiagnoseOptions,
    *,
    factory: ConnectorFactory | None = None,
    console: Console | None = None,
    interactive: bool | None = None,
) -> int:
    """Diagnose the site; print (and write) the diagnosis; the exit code says what it found."""
    report_format = _report_format(options.report)
    inventory, extra = _inputs(options)
    targets = select(inventory)
    site_code = _site_code(options.site_code, extra, targets.site)
    smsman = _smsman_path(extra, targets.clients)
    tty = sys.stdin.isatty() if interactive is None else interactive
    credentials, redactor = resolve_credentials(inventory, targets.hosts(), interactive=tty)
    configure(log_format="console", verbosity=options.verbosity - 1, redactor=redactor)
    with open_fanout(
        inventory, credentials, forks=options.forks, workers=options.workers, factory=factory
    ) as fanout:
        facts = gather(fanout, targets, site_code, smsman, scope=targets.scope(inventory))
        rejected = tuple(Rejected(r.credential, r.username, r.host) for r in fanout.rejections())
    diagnosis = diagnose(facts)
    code = exit_code(diagnosis, rejected=bool(rejected))
    header = Header(
        str(options.inventory), site_code, code, __version__, limit=options.limit, rejected=rejected
    )
    _show(diagnosis, header, options.format, console or Console(highlight=False), redactor)
    if options.report is not None and report_format is not None:
        from orchestrator.report.files import write_atomically

        text = redactor.scrub(RENDERERS[report_format](diagnosis, header))
        write_atomically(options.report, text)
    return code


def exit_code(diagnosis: Diagnosis, *, rejected: bool) -> int:
    """5 a credential was rejected; 1 something could not be read; 6 recovery or prevention
    recommended (or the site is broken and every method is blocked); 0 healthy."""
    if rejected:
        return EXIT_AUTH
    if not diagnosis.complete:
        return EXIT_UNREAD
    return EXIT_HEALTHY if diagnosis.healthy else EXIT_ACTION


RENDERERS: Mapping[str, Callable[[Diagnosis, Header], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


def _show(d: Diagnosis, header: Header, fmt: str, out: Console, redactor: Redactor) -> None:
    if fmt == "text":
        with out.capture() as captured:
            out.print(render_rich(d, header))
        out.file.write(redactor.scrub(captured.get()))
        return
    out.file.write(redactor.scrub(RENDERERS[fmt](d, header)))


# -- inputs -------------------------------------------------------------------------------------


def _inputs(options: DiagnoseOptions) -> tuple[Inventory, Mapping[str, Var]]:
    if options.format not in FORMATS:
        raise InputError.single(
            f"--format must be one of {', '.join(FORMATS)}, not {options.format!r}",
            field="--format",
        )
    problems: list[Problem] = []
    inputs = load_inputs(options.inventory, options.extra_vars, options.limit, problems)
    if problems or inputs is None:
        raise InputError(problems)
    return inputs.inventory, inputs.extra_vars


def _report_format(path: Path | None) -> str | None:
    if path is None:
        return None
    found = _BY_EXTENSION.get(path.suffix.lower())
    if found is None:
        raise InputError.single(
            f"cannot tell the report format of {path} from its extension",
            field="--report",
            hint=f"use one of {', '.join(_BY_EXTENSION)}",
        )
    return found


def _role(inventory: Inventory, role: Role) -> tuple[str, ...]:
    return tuple(h.name for h in inventory.hosts if role in h.roles)


def select(inventory: Inventory) -> Targets:
    """The hosts to read; InputError when there is no site server or domain controller."""
    by_role = {r: [h for h in inventory.hosts if r in h.roles] for r in Role}
    missing = [r.value for r in (Role.SITE_SERVER, Role.DOMAIN_CONTROLLER) if not by_role[r]]
    if missing:
        raise InputError.single(
            f"no host with the role {' or '.join(missing)} in the inventory (after --limit):"
            " diagnose reads the site on the first site server and the accounts on the first"
            " domain controller",
            field="--inventory",
        )
    operators = tuple(c.username for c in inventory.credentials.values())
    return Targets(
        site=by_role[Role.SITE_SERVER][0],
        dc=by_role[Role.DOMAIN_CONTROLLER][0],
        caps=tuple(by_role[Role.CAP_SERVER]),
        clients=tuple(by_role[Role.CLIENT]),
        operators=operators,
    )


def _variable(name: str, extra: Mapping[str, Var], host: Host | None) -> Any:
    if name in extra:
        return extra[name].value
    return host.vars.get(name) if host is not None else None


def _site_code(given: str | None, extra: Mapping[str, Var], site: Host) -> str:
    code = given or _variable("site_code", extra, site)
    if not isinstance(code, str) or not _SITE_CODE.match(code):
        shown = "none" if code is None else repr(code)
        raise InputError.single(
            f"the site code must be three letters or digits, found {shown}",
            field="--site-code",
            hint="give --site-code, -e site_code=..., or a site_code variable in the inventory",
        )
    return code.upper()


def _smsman_path(extra: Mapping[str, Var], clients: tuple[Host, ...]) -> str:
    """Where method 1 finds a client's own Smsman.exe: its playbook's `local_smsman`."""
    value = _variable("local_smsman", extra, clients[0] if clients else None)
    if value is None:
        return DEFAULT_SMSMAN
    if not isinstance(value, str) or "{{" in value or "{%" in value:
        raise InputError.single(
            f"local_smsman must be a plain path for diagnose, found {value!r}",
            field="local_smsman",
        )
    return value


# -- reading ------------------------------------------------------------------------------------

Reading = tuple[Host, Part, Any]
"""A host, the part read there, and its value or the Unread that says why it was not read."""
Job = list[tuple[Part, Callable[[], Logic[Any]]]]


def gather(
    fanout: Fanout, targets: Targets, site_code: str, smsman_path: str, *, scope: Scope
) -> Facts:
    """Every fact, through the fan-out: the site first, then everything else at once."""
    fanout.preflight(targets.hosts())
    site_job: Job = [(Part.SITE, partial(read_site, targets.site.name, site_code))]
    first = _host(fanout, targets.site, site_job)
    site = first[0][2] if isinstance(first[0][2], SiteFacts) else None
    jobs = _jobs(targets, _accounts_to_ask(site, site_code), (smsman_path,))
    readings = [
        *first,
        *(r for rs in fanout.map(list(jobs), lambda h: _host(fanout, h, jobs[h])) for r in rs),
    ]
    values = {(host.name, part): value for host, part, value in readings}
    return Facts(
        site_code=site_code,
        scope=scope,
        smsman_path=smsman_path,
        site=site,
        directory=_value(values.get((targets.dc.name, Part.DIRECTORY))),
        caps=tuple(v for (_, p), v in values.items() if p is Part.CAP and not _unread(v)),
        client_hosts=tuple(
            v for (_, p), v in values.items() if p is Part.CLIENT and not _unread(v)
        ),
        unread=tuple(v for v in values.values() if _unread(v)),
    )


def _unread(value: Any) -> bool:
    return isinstance(value, Unread)


def _value(value: Any) -> Any:
    return None if _unread(value) else value


def _accounts_to_ask(site: SiteFacts | None, site_code: str) -> tuple[str, ...]:
    """The accounts the site and its clients know, and the playbooks' two default names."""
    known = all_accounts(Facts(site_code, Scope(), site=site)) if site else ()
    sams = {name.rsplit("\\", 1)[-1].casefold() for name in known}
    defaults = (f"SMSClient_{site_code}", f"SMSClient2_{site_code}")
    return (*known, *(d for d in defaults if d.casefold() not in sams))


def _jobs(targets: Targets, names: tuple[str, ...], paths: tuple[str, ...]) -> dict[Host, Job]:
    """Per host, the parts to read there, in order (a DC that is a CAP is visited once)."""
    jobs: dict[Host, Job] = {
        targets.dc: [(Part.DIRECTORY, partial(read_directory, targets.dc.name, names))]
    }
    for cap in targets.caps:
        on_dc = Role.DOMAIN_CONTROLLER in cap.roles
        jobs.setdefault(cap, []).append((Part.CAP, partial(read_cap, cap.name, on_dc=on_dc)))
    for client in targets.clients:
        job = (Part.CLIENT, partial(read_client_host, client.name, paths))
        jobs.setdefault(client, []).append(job)
    return jobs


def _host(fanout: Fanout, host: Host, job: Job) -> list[Reading]:
    """Each part of the job read on the host, or why it could not be."""
    return [(host, part, _read(fanout, host, part, logic)) for part, logic in job]


_OUT = {OutKind.UNREACHABLE: Failure.UNREACHABLE, OutKind.REFUSED: Failure.REFUSED}


def _read(fanout: Fanout, host: Host, part: Part, logic: Callable[[], Logic[Any]]) -> Any:
    """Drive one reader on one host behind a transport that refuses any mutating command."""
    out = fanout.exclusion(host)
    if out is not None:
        return Unread(part, host.name, _OUT.get(out.kind, Failure.FAILED), out.reason)
    transport = PlanTransport(fanout.transport(host))
    try:
        return drive(logic(), transport, sleep=time.sleep)
    except PlanViolationError:
        raise  # a reader sent a mutating command: a bug, never hidden
    except AuthError as exc:
        return Unread(part, host.name, Failure.REFUSED, str(exc))
    except ConnectError as exc:
        fanout.take_out(host, OutKind.UNREACHABLE, f"host unreachable: {exc}")
        return Unread(part, host.name, Failure.UNREACHABLE, str(exc))
    except OrchestratorError as exc:
        return Unread(part, host.name, Failure.FAILED, str(exc))
