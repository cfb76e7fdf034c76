"""The baseline: a plain pypsrp script, no orchestrator code, doing what the bench playbook does.

    python bench/baseline.py INVENTORY.yml --phase a|b --forks 20

For each of the five steps in order, on every host of the inventory's `clients` group at once
(a ThreadPoolExecutor of `--forks` workers; the next step starts when the last host finished),
it reads the state with the same cmdlet and parameters the engine's probe sends, and when the
state differs from the phase's, sends the same change. One RunspacePool per host, opened on
first use and reused by every step, closed at the end. Each pipeline is closed after it ran
(a Signal Terminate, as pypsrp's docs ask, pypsrp #196: as a user would write it; the engine
needs no Signal for a finished pipeline, see bench/README.md). It prints
one JSON line: hosts, host x steps changed, failures.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

SERVICE = "Clisvcl"
REG_PATH = "HKLM:\\Software\\Microsoft\\SMS\\Client\\Sites\\Shared\\TB1"
REG_NAME = "BenchMark"
ADMIN = "Administrator"
USERS_SID = "S-1-5-32-545"
MEMBER = "CONTOSO\\SMSClient2_TB1"
STOP = "Stop"


@dataclass(frozen=True)
class Phase:
    """The state every step asks for; the bench alternates two phases so that all change."""

    service: str  # started or stopped
    mark: str  # the registry value (REG_SZ)
    description: str  # the local Administrator's description
    guest_enabled: bool  # the local Guest (SID ...-501)
    member: bool  # MEMBER in the local Users group
    apply: bool = True  # False: probe only, change nothing (the lab capacity run)


PHASES = {
    "a": Phase("started", "a", "bench a", guest_enabled=False, member=False),
    "b": Phase("stopped", "b", "bench b", guest_enabled=True, member=True),
}


class Host:
    """One host's pool, opened on first use; the runner never uses one from two threads."""

    def __init__(self, wsman: Callable[[], WSMan]) -> None:
        self._wsman = wsman
        self.pool: Any = None

    def run(self, cmdlet: str, **params: Any) -> tuple[list[Any], bool]:
        """Run one cmdlet; (output, had errors)."""
        if self.pool is None:
            self.pool = RunspacePool(self._wsman())
            self.pool.open()
        ps = PowerShell(self.pool)
        ps.add_cmdlet(cmdlet)
        for name, value in params.items():
            ps.add_parameter(name, value)
        output = ps.invoke()
        failed = bool(ps.had_errors or ps.streams.error)
        ps.close()
        return output, failed

    def close(self) -> None:
        """Close the pool, if one was opened."""
        if self.pool is not None:
            self.pool.close()


def prop(obj: Any, name: str) -> Any:
    """A property of a deserialized object (adapted or extended)."""
    for bag in (getattr(obj, "adapted_properties", {}), getattr(obj, "extended_properties", {})):
        if name in bag:
            return bag[name]
    return None


def text(value: Any) -> str:
    """A value as text (enums and complex objects by their ToString)."""
    return str(getattr(value, "to_string", None) or ("" if value is None else value))


def must(result: tuple[list[Any], bool]) -> list[Any]:
    """The output of a command that must not fail."""
    output, failed = result
    if failed:
        raise RuntimeError("a command failed")
    return output


# -- the five steps: probe, compare, change when needed; True when changed -------------------


def service(host: Host, phase: Phase) -> bool:
    found = must(host.run("Get-Service", Name=SERVICE, ErrorAction=STOP))[0]
    wanted = "Running" if phase.service == "started" else "Stopped"
    if text(prop(found, "Status")) == wanted or not phase.apply:
        return False
    verb = "Start-Service" if phase.service == "started" else "Stop-Service"
    must(host.run(verb, Name=SERVICE, ErrorAction=STOP))
    return True


def registry(host: Host, phase: Phase) -> bool:
    # one Get-ItemProperty, as the engine's probe: its error would tell a missing key apart
    output, _missing = host.run("Get-ItemProperty", Path=REG_PATH, Name=REG_NAME)
    current = prop(output[0], REG_NAME) if output else None
    if current == phase.mark or not phase.apply:
        return False
    verb, kind = ("Set", "Type") if current is not None else ("New", "PropertyType")
    params = {"Path": REG_PATH, "Name": REG_NAME, "Value": phase.mark, kind: "String"}
    must(host.run(f"{verb}-ItemProperty", **params, ErrorAction=STOP))
    return True


def admin_description(host: Host, phase: Phase) -> bool:
    user = must(host.run("Get-LocalUser", Name=ADMIN))[0]
    if text(prop(user, "Description")) == phase.description or not phase.apply:
        return False
    sid = text(prop(user, "SID"))
    must(host.run("Set-LocalUser", SID=sid, Description=phase.description, ErrorAction=STOP))
    return True


def guest(host: Host, phase: Phase) -> bool:
    users = must(host.run("Get-LocalUser"))
    found = next(u for u in users if text(prop(u, "SID")).endswith("-501"))
    if bool(prop(found, "Enabled")) == phase.guest_enabled or not phase.apply:
        return False
    verb = "Enable-LocalUser" if phase.guest_enabled else "Disable-LocalUser"
    must(host.run(verb, SID=text(prop(found, "SID")), ErrorAction=STOP))
    return True


def users_member(host: Host, phase: Phase) -> bool:
    members = must(host.run("Get-LocalGroupMember", SID=USERS_SID))
    found = next((m for m in members if text(prop(m, "Name")).lower() == MEMBER.lower()), None)
    if (found is not None) == phase.member or not phase.apply:
        return False
    if phase.member:
        must(host.run("Add-LocalGroupMember", SID=USERS_SID, Member=[MEMBER], ErrorAction=STOP))
    else:
        sid = text(prop(found, "SID"))
        must(host.run("Remove-LocalGroupMember", SID=USERS_SID, Member=[sid], ErrorAction=STOP))
    return True


STEPS: tuple[Callable[[Host, Phase], bool], ...] = (
    service,
    registry,
    admin_description,
    guest,
    users_member,
)


# -- the run ---------------------------------------------------------------------------------


def load_hosts(inventory_path: Path) -> dict[str, Host]:
    """Every client of an inventory written by `orchestrator lab serve`, not yet connected."""
    inventory = yaml.safe_load(inventory_path.read_text(encoding="utf-8"))
    settings = inventory["all"]
    credential = inventory["credentials"]["lab_operator"]
    secret = credential["password"].removeprefix("file:")
    password = (inventory_path.parent / secret).read_text(encoding="utf-8").strip()

    def connect(entry: dict[str, Any]) -> Callable[[], WSMan]:
        return lambda: WSMan(
            entry["address"],
            port=settings["port"],
            path=entry["path"].lstrip("/"),
            ssl=settings["scheme"] == "https",
            auth=settings["auth"],
            username=credential["username"],
            password=password,
            encryption="auto",
            reconnection_retries=0,
            operation_timeout=20,
            read_timeout=30,
            no_proxy=True,
        )

    clients = settings["children"]["clients"]["hosts"]
    return {name: Host(connect(entry)) for name, entry in clients.items()}


def run(hosts: dict[str, Host], phase: Phase, forks: int) -> dict[str, int]:
    """Every step on every host, a step at a time; counts of changes and failures."""
    counts = {"hosts": len(hosts), "changed": 0, "failed": 0}
    lock = threading.Lock()
    live = dict(hosts)

    def one(step: Callable[[Host, Phase], bool], name: str) -> None:
        try:
            changed = step(live[name], phase)
        except Exception:  # noqa: BLE001 -- a failed host leaves the run, as in the engine
            with lock:
                counts["failed"] += 1
                live.pop(name, None)
            return
        if changed:
            with lock:
                counts["changed"] += 1

    with ThreadPoolExecutor(max_workers=forks) as pool:
        for step in STEPS:
            list(pool.map(lambda name, s=step: one(s, name), list(live)))
        list(pool.map(Host.close, hosts.values()))
    return counts


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print the counts as JSON; exit 1 when a host failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--phase", choices=sorted(PHASES), required=True)
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--probe-only", action="store_true", help="read, change nothing")
    args = parser.parse_args(argv)
    phase = replace(PHASES[args.phase], apply=not args.probe_only)
    counts = run(load_hosts(args.inventory), phase, args.forks)
    sys.stdout.write(json.dumps(counts) + "\n")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
