"""A running lab's realm: its KDC seeded from the domain, and the process pointed at it.

    realm = LabRealm(seed_from(state), state_dir / "kerberos").start()
    ...                      # KRB5_CONFIG and KRB5_KTNAME name this realm's files
    realm.stop()             # KDC stopped, the two variables as they were before

The Kerberos library reads KRB5_CONFIG and KRB5_KTNAME from the process environment, so one
process serves one lab realm at a time: a second `start` is refused until the first stops.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from orchestrator.lab.domain import changes
from orchestrator.lab.domain.changes import AccountChange, AccountFacts, ChangeKind
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.domain.state import LabState
from orchestrator.lab.kerberos.errors import KdcError
from orchestrator.lab.kerberos.kdc import Kdc, service_principal
from orchestrator.lab.kerberos.sync import admin_script

SERVICES = ("HTTP", "host")  # as the lab's acceptor takes them (http.ntlm.KERBEROS_SERVICES)
_CLAIM = threading.Lock()  # guards _owner
_owner: LabRealm | None = None  # the realm this process's KRB5_* variables point at


@dataclass(frozen=True)
class RealmSeed:
    """What a lab's KDC starts with: the domain's name, lockout policy, users and hosts."""

    dns_root: str
    lockout: LockoutPolicy
    users: tuple[AccountFacts, ...]
    hosts: tuple[str, ...]


def seed_from(state: LabState) -> RealmSeed:
    """Every domain user with a password (disabled ones too, so that Enable-ADAccount can
    re-enable them at the KDC) and every host of the lab."""
    users = tuple(changes.snapshot(state.ad).values())
    hosts = tuple(host.name for host in state.hosts.values())
    return RealmSeed(state.ad.dns_root, state.ad.lockout, users, hosts)


class LabRealm:
    """The lab domain's KDC, seeded with its accounts and hosts, and this process's realm."""

    def __init__(self, seed: RealmSeed, state_dir: Path) -> None:
        self.seed = seed
        self.kdc = Kdc(seed.dns_root, state_dir, seed.lockout)
        self._saved: dict[str, str | None] = {}

    @property
    def realm(self) -> str:
        """CONTOSO.COM for contoso.com."""
        return self.kdc.realm

    def principal(self, user: str) -> str:
        """A user's principal with the realm: `alice@CONTOSO.COM`."""
        return f"{user}@{self.realm}"

    def services(self, host: str) -> list[str]:
        """A host's service principal names: `HTTP/<host>.<dns domain>` and `host/...` (a
        Windows computer account's HOST/ name, which AD maps HTTP onto, and which pypsrp asks
        a ticket for unless given negotiate_service)."""
        return [service_principal(host, self.seed.dns_root, s) for s in SERVICES]

    def start(self) -> LabRealm:
        """Claim the process, start the KDC, add every principal, point the process at it.
        On any failure nothing stays running and the environment is as it was."""
        _claim(self)
        try:
            self.kdc.start()
            self._populate()
            self._point_process_here()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the KDC, restore KRB5_CONFIG/KRB5_KTNAME, release the process. Idempotent."""
        try:
            self.kdc.stop()
        finally:
            self._restore_environment()
            _release(self)

    def _populate(self) -> None:
        created = [AccountChange(ChangeKind.CREATED, user) for user in self.seed.users]
        script = admin_script(self.kdc, created)
        services = [name for host in self.seed.hosts for name in self.services(host)]
        for name in services:
            script.add_service(name)
        script.export(services, self.kdc.files.keytab)
        self.kdc.run(script)  # one kadmin.local process for the whole domain

    def _point_process_here(self) -> None:
        for name, value in self.kdc.client_environment().items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _restore_environment(self) -> None:
        saved, self._saved = self._saved, {}
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _claim(realm: LabRealm) -> None:
    global _owner  # noqa: PLW0603 -- the process-wide environment has one owner at a time
    with _CLAIM:
        if _owner is not None and _owner is not realm:
            raise KdcError(
                f"this process already runs the Kerberos lab realm {_owner.realm}",
                "Stop that lab first: the Kerberos library reads one KRB5_CONFIG per process",
            )
        _owner = realm


def _release(realm: LabRealm) -> None:
    global _owner  # noqa: PLW0603 -- see _claim
    with _CLAIM:
        if _owner is realm:
            _owner = None
