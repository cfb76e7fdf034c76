"""A running lab: the simulated domain behind its WinRM endpoint, and an inventory for it.

    with RunningLab(LabOptions(scenario="tb1-lockout", clients=20)) as lab:
        lab.write_inventory(Path("lab/inventory.yml"))   # + lab/lab-operator.password
        ...                                             # any WinRM client can now connect

Used by `orchestrator lab serve` and by the tests' `lab` fixture.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from orchestrator.lab.backend import DomainBackend
from orchestrator.lab.contract import AuthOutcome
from orchestrator.lab.http.faults import flaky_network
from orchestrator.lab.kerberos.failures import FailureFeed
from orchestrator.lab.kerberos.kdc import service_principal
from orchestrator.lab.kerberos.realm import LabRealm, seed_from
from orchestrator.lab.kerberos.sync import KdcSync
from orchestrator.lab.scenarios import Overrides, Scenario, load_scenario
from orchestrator.lab.server import Endpoint, LabServer

ROLE_GROUPS = {
    "domain_controller": "domain_controllers",
    "cap_server": "cap_servers",
    "site_server": "site_servers",
    "logon_point": "logon_points",
    "client": "clients",
}
PASSWORD_FILE = "lab-operator.password"  # noqa: S105 -- a file name, not a password


@dataclass(frozen=True)
class LabOptions:
    """What lab to run and how to expose it."""

    scenario: str = "tb1-lockout"
    clients: int | None = None
    tls: bool = False
    port: int = 0
    port_per_host: bool = False
    manual_clock: bool = False
    auth: str = "ntlm"
    state_dir: Path | None = None
    start_now: bool = False  # the lab clock starts at the real time, not the scenario's date
    retry_interval: timedelta | None = None  # CCIM retry after a failure (scenario default)
    success_interval: timedelta | None = None  # CCIM cycle after a success (scenario default)
    fault_rate: float | None = None  # share of every host's SOAP requests that fail (flaky_network)
    fault_seed: int | None = None  # seed of the fault draws (None: unrepeatable)
    # Scenario switches; None keeps the scenario's own (scenarios.Overrides checks them).
    era: str | None = None  # nt4_sms2 | modern: lockout preset and Guest barriers
    broken_clients: int | None = None  # only the first N clients broken, the others healthy
    smsman_survives_uninstall: bool | None = None  # False: Smsman /u removes the local copy
    logon_discovery: bool | None = None  # the site's Windows NT Logon Discovery
    logon_installation: bool | None = None  # the site's Windows NT Logon Client Installation
    # A real MIT KDC for the domain, and Kerberos at every endpoint (off: nothing is started)
    kerberos: bool = False


class RunningLab:
    """The domain (with its clock ticking) and its WinRM server, started together."""

    def __init__(self, options: LabOptions) -> None:
        self.options = options
        rate = options.fault_rate
        faults = flaky_network(rate) if rate is not None else ()  # a bad rate fails before any work
        start = datetime.now(UTC).replace(microsecond=0) if options.start_now else None
        overrides = Overrides(
            clients=options.clients,
            era=options.era,
            start=start,
            retry_interval=options.retry_interval,
            success_interval=options.success_interval,
            broken_clients=options.broken_clients,
            smsman_survives_uninstall=options.smsman_survives_uninstall,
            logon_discovery=options.logon_discovery,
            logon_installation=options.logon_installation,
        )
        self.scenario: Scenario = load_scenario(options.scenario, overrides)
        self.backend = DomainBackend.from_scenario(self.scenario, manual_clock=options.manual_clock)
        self.server = LabServer(
            self.backend,
            tls=options.tls,
            port=options.port,
            port_per_host=options.port_per_host,
            state_dir=options.state_dir,
            fault_seed=options.fault_seed,
            kerberos_domain=self.scenario.domain.dns.lower() if options.kerberos else None,
        )
        if faults:
            self.server.faults.set_all(*faults)
        self.realm: LabRealm | None = None
        self.kdc_failures: FailureFeed | None = None  # the KDC's failed logons -> directory
        self._realm_dir: Path | None = None

    def start(self) -> RunningLab:
        """Start the KDC (a Kerberos lab), the clock (unless driven by hand), and accept WinRM
        connections; whatever started is stopped again if a later part fails."""
        try:
            if self.options.kerberos:
                self.realm = self._start_realm()
            if not self.options.manual_clock:
                self.backend.start()
            self.server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, then the clock, then the KDC."""
        try:
            self.server.stop()
            self.backend.stop()
        finally:
            self._stop_realm()

    def _start_realm(self) -> LabRealm:
        """The domain's KDC, in the lab's state directory (or a directory of its own)."""
        given = self.options.state_dir
        directory = given / "kerberos" if given else Path(tempfile.mkdtemp(prefix="lab-kdc-"))
        self._realm_dir = None if given else directory
        with self.backend.inspect() as state:
            seed = seed_from(state)
            controller = next((h.name for h in state.hosts.values() if h.sam is None), None)
        realm = LabRealm(seed, directory)
        realm.start()
        # the ticker and the server are not started yet: nothing changed since the seed
        self.backend.observe(KdcSync(realm.kdc))
        if controller is not None:
            self.kdc_failures = FailureFeed(
                realm.kdc.files.kdc_log, realm.realm, self._failed_at_kdc(controller)
            ).start()
        return realm

    def _failed_at_kdc(self, controller: str) -> Callable[[str], AuthOutcome]:
        """A failed pre-authentication, counted by the directory as a failed logon at a DC."""

        def report(principal: str) -> AuthOutcome:
            return self.backend.record_logon(controller, principal, password_ok=False)

        return report

    def _stop_realm(self) -> None:
        feed, self.kdc_failures = self.kdc_failures, None
        if feed is not None:
            feed.stop()
        realm, self.realm = self.realm, None
        if realm is not None:
            realm.stop()
        if self._realm_dir is not None:
            shutil.rmtree(self._realm_dir, ignore_errors=True)  # keys never outlive the lab
            self._realm_dir = None

    def __enter__(self) -> RunningLab:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def endpoints(self) -> dict[str, Endpoint]:
        """Every host's WinRM endpoint."""
        return self.server.endpoints()

    def operator(self) -> tuple[str, str]:
        """(DOMAIN\\user, or user@REALM in a Kerberos lab, password) of the account
        inventories log on with."""
        name, password = self.scenario.domain.operator_account()
        if self.realm is not None and self.options.auth == "kerberos":
            return f"{name}@{self.realm.realm}", password  # the KDC's name: exact case
        return f"{self.scenario.domain.netbios}\\{name}", password

    def write_inventory(self, path: Path) -> Path:
        """Write an inventory reaching every host, and the operator's password file (0600)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = path.parent / PASSWORD_FILE
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.operator()[1] + "\n")
        body = yaml.safe_dump(self.inventory(path.parent), sort_keys=False, width=100)
        path.write_text(_HEADER.format(scenario=self.scenario.name) + body, encoding="utf-8")
        return path

    def inventory(self, inventory_dir: Path) -> dict[str, Any]:
        """The inventory as data: connection settings, one group per role, site variables."""
        endpoints = self.endpoints()
        first = next(iter(endpoints.values()))
        connection: dict[str, Any] = {
            "scheme": first.scheme,
            "auth": self.options.auth,
            "credential": "lab_operator",
        }
        if not self.options.port_per_host:
            connection["port"] = first.port
        if self.server.ca_path is not None:
            connection["cert_validation"] = os.path.relpath(self.server.ca_path, inventory_dir)
        elif self.options.auth == "basic":
            # basic cannot encrypt messages (pypsrp refuses it unless encryption: never), and
            # the orchestrator refuses clear text over http unless the inventory says so: the
            # lab's loopback is where that choice is the operator's to make
            connection |= {"encryption": "never", "allow_basic_over_http": True}
        kerberos: dict[str, Any] = {}
        if self.realm is not None:  # the lab's krb5.conf, so the inventory works as it is
            config = os.path.relpath(self.realm.kdc.files.krb5_conf, inventory_dir)
            kerberos = {"kerberos": {"config": config}}
        return {
            **kerberos,
            "credentials": {
                "lab_operator": {
                    "username": self.operator()[0],
                    "password": f"file:{PASSWORD_FILE}",
                }
            },
            "all": {**connection, "vars": self._vars(), "children": self._groups(endpoints)},
        }

    def _vars(self) -> dict[str, str]:
        site = self.scenario.site
        found = {"domain": self.scenario.domain.netbios}
        return {**found, "site_code": site.code} if site else found

    def _groups(self, endpoints: dict[str, Endpoint]) -> dict[str, Any]:
        roles = self._roles()
        groups: dict[str, Any] = {}
        for role, group in ROLE_GROUPS.items():
            hosts = {
                name: self._host_entry(name, ep)
                for name, ep in endpoints.items()
                if role in roles.get(name, ())
            }
            if hosts:
                groups[group] = {"roles": [role], "hosts": hosts}
        return groups

    def _host_entry(self, name: str, endpoint: Endpoint) -> dict[str, Any]:
        entry: dict[str, Any] = {"address": endpoint.address, "path": endpoint.path}
        if self.options.port_per_host:
            entry["port"] = endpoint.port
        if self.realm is not None:  # the address is loopback: the ticket is for the host's name
            spn = service_principal(name, self.realm.kdc.dns_root)
            entry["kerberos_hostname"] = spn.partition("/")[2]
        return entry

    def _roles(self) -> dict[str, tuple[str, ...]]:
        with self.backend.inspect() as state:
            return {h.name: tuple(r.value for r in h.roles) for h in state.hosts.values()}


_HEADER = """\
# Written by `orchestrator lab serve` for the lab scenario {scenario}: every simulated host,
# reachable over WinRM on this machine. The operator's password is in the file next to this
# one (mode 0600). Valid while the lab runs.
"""
