"""`make demo`: the lab in the article's broken state, a recovery playbook, the result.

The lab runs in its own process (as it would be another machine), the playbook runs through
the real command line and pypsrp, and the site's state is read before and after over WinRM.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.table import Table

from orchestrator.app.reach import open_fanout
from orchestrator.commands import SWITCH, Command
from orchestrator.engine.fanout import Fanout
from orchestrator.inventory.loader import load_inventory
from orchestrator.inventory.model import Host
from orchestrator.logging import Redactor, configure
from orchestrator.secrets import SecretResolver

READY_TIMEOUT = 60.0
BROKEN_TIMEOUT = 45.0


@dataclass(frozen=True)
class SiteState:
    """What the demo shows before and after: the site as its own tools see it."""

    clients: int
    checked_in: int
    failing: int
    locked_out: tuple[str, ...]
    accounts: tuple[str, ...]
    guest_open_on: tuple[str, ...]


def run_demo(playbook: Path, clients: int, workdir: Path, console: Console) -> int:
    """Start the lab, show the broken site, plan the playbook, run that plan, show the site
    again and where the reports are."""
    configure(log_format="console", verbosity=-1, redactor=Redactor())
    inventory = workdir / "inventory.yml"
    shutil.rmtree(
        workdir / "state", ignore_errors=True
    )  # a fresh lab: an old journal means nothing
    with _lab(inventory, clients) as ready:
        console.print(f"[bold]{ready}[/]", highlight=False)
        before = _broken(inventory, console)
        planned = _plan(playbook, inventory, workdir, console)
        code = _run_plan(workdir, inventory) if planned == 0 else planned
        after = site_state(inventory)
    console.print(_compare(before, after))
    console.print(f"run exit code {code}", highlight=False)
    for name in ("plan.md", "plan.html", "run.html", "run.md"):
        if (workdir / name).exists():
            console.print(f"report: {workdir / name}", highlight=False)
    return code


def _plan(playbook: Path, inventory: Path, workdir: Path, console: Console) -> int:
    """`orchestrator plan` with the plan saved: what the run will do, before it does it."""
    console.print("planning (read-only probes) ...", highlight=False)
    command = [
        *_cli("plan", str(playbook), "-i", str(inventory), "-e", "poll_interval=2s"),
        *("--out", str(workdir / "plan.json"), "--report", str(workdir / "plan.html")),
        *("--format", "markdown"),
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603
    (workdir / "plan.md").write_text(done.stdout, encoding="utf-8")
    summary = next((x for x in done.stdout.splitlines() if "**Summary:**" in x), "")
    console.print(f"plan: {summary.split('**Summary:**')[-1].strip()}", highlight=False)
    if done.returncode != 0:
        console.print(done.stderr, highlight=False, markup=False)
    return done.returncode


def _run_plan(workdir: Path, inventory: Path) -> int:
    command = [
        *_cli("run", "--plan", str(workdir / "plan.json"), "--yes", "--log-format", "console"),
        *("--state-dir", str(workdir / "state"), "-i", str(inventory)),
        *("--report", str(workdir / "run.html"), "--junit", str(workdir / "run-junit.xml")),
    ]
    return subprocess.run(command, check=False).returncode  # noqa: S603 -- our own CLI


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator", *args]


@contextmanager
def _lab(inventory: Path, clients: int) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "orchestrator",
            "lab",
            "serve",
            "--clients",
            str(clients),
            "--inventory-out",
            str(inventory),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        yield _ready_line(process.stdout)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def _broken(inventory: Path, console: Console) -> SiteState:
    """Wait until the clients have locked their connection account out, as in the article."""
    console.print("waiting for the clients to fail and lock their account out ...", highlight=False)
    deadline = time.monotonic() + BROKEN_TIMEOUT
    state = site_state(inventory)
    while not state.locked_out and time.monotonic() < deadline:
        time.sleep(1)
        state = site_state(inventory)
    return state


def _ready_line(stdout: IO[str]) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        line = stdout.readline()
        if line.startswith("lab ready:"):
            return line.strip()
        if not line:
            time.sleep(0.05)
    raise RuntimeError("the lab did not start within a minute")


def site_state(inventory_path: Path) -> SiteState:
    """The site's client check-in summary and the locked-out accounts, read over WinRM."""
    inventory = load_inventory(inventory_path)
    requests = inventory.secret_requests(inventory.hosts)
    secrets = SecretResolver(interactive=False).resolve(list(requests))
    credentials = {
        name: (cred.username, secrets[cred.secret_name])
        for name, cred in inventory.credentials.items()
    }
    with open_fanout(inventory, credentials, forks=4) as fanout:
        site = next(h for h in inventory.hosts if "site_server" in h.roles)
        dc = next(h for h in inventory.hosts if "domain_controller" in h.roles)
        summary = fanout.transport(site).run(Command.of("Get-CMClientStatusSummary")).outputs[0]
        accounts = fanout.transport(site).run(Command.of("Get-CMClientConnectionAccount"))
        locked = fanout.transport(dc).run(Command.of("Search-ADAccount", LockedOut=SWITCH))
        caps = [h for h in inventory.hosts if "cap_server" in h.roles]
        guests = [
            h.name for h, on in zip(caps, fanout.map(caps, _guest_on(fanout)), strict=True) if on
        ]
    return SiteState(
        clients=int(summary["Total"]),
        checked_in=int(summary["CheckedIn"]),
        failing=int(summary["Failing"]),
        locked_out=tuple(str(a["SamAccountName"]) for a in locked.outputs),
        accounts=tuple(str(a["UserName"]) for a in accounts.outputs),
        guest_open_on=tuple(guests),
    )


def _guest_on(fanout: Fanout) -> Callable[[Host], bool]:
    """Is the Guest a CAP serves (domain Guest on a DC, local Guest elsewhere) enabled?"""

    def enabled(host: Host) -> bool:
        transport = fanout.transport(host)
        if "domain_controller" in host.roles:
            domain = transport.run(Command.of("Get-ADDomain")).outputs[0]
            guest = transport.run(Command.of("Get-ADUser", Identity=f"{domain['DomainSID']}-501"))
            return bool(guest.outputs and guest.outputs[0]["Enabled"])
        users = transport.run(Command.of("Get-LocalUser")).outputs
        return any(str(u["SID"]).endswith("-501") and u["Enabled"] for u in users)

    return enabled


def _compare(before: SiteState, after: SiteState) -> Table:
    table = Table(title="site TB1, as its own tools see it", title_justify="left")
    table.add_column("")
    table.add_column("before")
    table.add_column("after")
    table.add_row(
        "clients checked in",
        f"{before.checked_in}/{before.clients}",
        f"{after.checked_in}/{after.clients}",
    )
    table.add_row("clients failing", str(before.failing), str(after.failing))
    table.add_row("connection accounts", ", ".join(before.accounts), ", ".join(after.accounts))
    table.add_row(
        "Guest enabled on",
        ", ".join(before.guest_open_on) or "none",
        ", ".join(after.guest_open_on) or "none",
    )
    table.add_row(
        "accounts locked out",
        ", ".join(before.locked_out) or "none",
        ", ".join(after.locked_out) or "none",
    )
    return table
