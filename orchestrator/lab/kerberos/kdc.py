"""A real MIT Kerberos KDC for the lab's domain: started, administered and stopped from Python.

    with Kdc("contoso.com", state_dir, lockout) as kdc:
        kdc.add_user("alice", SecureString("..."))
        kdc.export_keytab(kdc.add_services(["wks001"]))
        os.environ.update(kdc.client_environment())   # one realm per process: see below

Administration goes through kadmin.local (no kadmind), one process per batch: each method here
is one batch, and `run(script)` runs a caller's own `AdminScript` of any size.
The Kerberos library reads KRB5_CONFIG and KRB5_KTNAME from the process environment, so a
process can talk to one lab realm at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.kerberos import kadmin
from orchestrator.lab.kerberos.config import KdcFiles, kdc_conf, krb5_conf, realm_for
from orchestrator.lab.kerberos.errors import KdcError
from orchestrator.lab.kerberos.kadmin import AdminScript
from orchestrator.lab.kerberos.policy import KdcLockout, from_lockout
from orchestrator.lab.kerberos.process import KdcProcess, create_database, free_port
from orchestrator.lab.kerberos.state import PrincipalState, parse_listing, parse_states
from orchestrator.lab.kerberos.tools import tool_environment


def service_principal(host: str, dns_root: str, service: str = "HTTP") -> str:
    """`HTTP/<host>.<dns domain>` in lower case: the name a client asks a ticket for (MIT
    lower-cases the host part of a host-based service name; AD names match in any case)."""
    fqdn = host.lower().rstrip(".")
    domain = dns_root.lower().strip(".")
    if not fqdn.endswith("." + domain):
        fqdn = f"{fqdn}.{domain}"
    return f"{service}/{fqdn}"


class Kdc:
    """The realm of one lab domain: its files under `state_dir`, its KDC on 127.0.0.1."""

    def __init__(
        self,
        dns_root: str,
        state_dir: Path,
        lockout: LockoutPolicy | None = None,
        *,
        port: int = 0,
        ready_timeout: float = 10.0,
    ) -> None:
        self.dns_root = dns_root.lower().strip(".")
        self.realm = realm_for(dns_root)
        self.files = KdcFiles(state_dir)
        self.lockout: KdcLockout = from_lockout(lockout or LockoutPolicy())
        self._port = port
        self._ready_timeout = ready_timeout
        self._process: KdcProcess | None = None

    @property
    def port(self) -> int:
        """The KDC's port (UDP and TCP) once started."""
        if self._process is None:
            raise KdcError("the KDC is not started", "Call Kdc.start() first")
        return self._process.port

    @property
    def running(self) -> bool:
        """Whether krb5kdc is alive."""
        return self._process is not None and self._process.running

    @property
    def pid(self) -> int | None:
        """krb5kdc's process id while started."""
        return None if self._process is None else self._process.pid

    def start(self) -> Kdc:
        """Write the configuration, create the database and policy if new, start krb5kdc."""
        if self._process is not None:
            raise KdcError(f"the KDC of {self.realm} is already started", "Stop it first")
        port = self._port or free_port()
        self._write_configuration(port)
        env = tool_environment(self.files)
        fresh = not self.files.database.exists()
        if fresh:
            create_database(self.realm, self.files, env)
        kadmin.check(
            kadmin.run(AdminScript(self.realm).add_policy(self.lockout, modify=not fresh), env)
        )
        process = KdcProcess(self.realm, port, self.files, env)
        process.start(self._ready_timeout)  # stops what it started if it fails
        self._process = process
        return self

    def _write_configuration(self, port: int) -> None:
        self.files.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.files.krb5_conf.write_text(krb5_conf(self.realm, self.dns_root, port), "utf-8")
        self.files.kdc_conf.write_text(kdc_conf(self.realm, port, self.files), "utf-8")

    def stop(self) -> None:
        """Stop krb5kdc; the database stays (a later start reuses it). Idempotent."""
        process, self._process = self._process, None
        if process is not None:
            process.stop()

    def __enter__(self) -> Kdc:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def client_environment(self) -> dict[str, str]:
        """What a Kerberos client or acceptor of this realm needs in its environment."""
        return {"KRB5_CONFIG": str(self.files.krb5_conf), "KRB5_KTNAME": str(self.files.keytab)}

    def script(self) -> AdminScript:
        """An empty batch of kadmin commands for this realm."""
        return AdminScript(self.realm)

    def run(self, script: AdminScript) -> str:
        """Run a batch in one kadmin.local process; KdcError if any command failed."""
        return kadmin.check(kadmin.run(script, tool_environment(self.files))).stdout

    def add_user(self, name: str, password: SecureString, *, locks_out: bool = True) -> None:
        """A user principal `name@REALM`; `locks_out=False` for one AD never locks (RID 500)."""
        self.add_users([(name, password)], locks_out=locks_out)

    def add_users(
        self, users: Iterable[tuple[str, SecureString]], *, locks_out: bool = True
    ) -> None:
        """Many user principals in one batch."""
        policy = self.lockout.name if locks_out else None
        script = self.script()
        for name, password in users:
            script.add_user(name, password, policy)
        self.run(script)

    def set_password(self, name: str, password: SecureString) -> None:
        """A new password: the old one stops working at once."""
        self.run(self.script().set_password(name, password))

    def delete(self, *names: str) -> None:
        """Remove principals; a later request for one is "client not found"."""
        script = self.script()
        for name in names:
            script.command("delete_principal", "-force", name)
        self.run(script)

    def disable(self, name: str) -> None:
        """Refuse every ticket for the principal (-allow_tix), as a disabled AD account."""
        self.run(self.script().command("modify_principal", "-allow_tix", name))

    def enable(self, name: str) -> None:
        """Allow tickets again (+allow_tix)."""
        self.run(self.script().command("modify_principal", "+allow_tix", name))

    def unlock(self, name: str) -> None:
        """Clear a lockout and the failure count (modify_principal -unlock)."""
        self.run(self.script().command("modify_principal", "-unlock", name))

    def add_services(self, hosts: Iterable[str], service: str = "HTTP") -> list[str]:
        """A service principal with a random key per host, in one batch; their names."""
        names = [service_principal(host, self.dns_root, service) for host in hosts]
        script = self.script()
        for name in names:
            script.add_service(name)
        self.run(script)
        return names

    def export_keytab(self, principals: Iterable[str], keytab: Path | None = None) -> Path:
        """Append the principals' current keys to a keytab (default: the realm's http.keytab)."""
        path = keytab or self.files.keytab
        self.run(self.script().export(principals, path))
        return path

    def states(self, names: Iterable[str]) -> dict[str, PrincipalState]:
        """The state of each principal the KDC knows, by the name asked for (others left out)."""
        wanted = list(names)
        script = self.script()
        for name in wanted:
            script.command("get_principal", name)
        env = tool_environment(self.files)
        out = kadmin.check(kadmin.run(script, env), tolerated=(kadmin.NOT_FOUND,))
        found = {s.principal: s for s in parse_states(out.stdout, self.lockout, datetime.now(UTC))}
        return {
            name: found[self._qualified(name)] for name in wanted if self._qualified(name) in found
        }

    def state(self, name: str) -> PrincipalState | None:
        """One principal's state, or None when the KDC does not know it."""
        return self.states([name]).get(name)

    def principals(self) -> set[str]:
        """Every principal in the database, with its realm."""
        return parse_listing(self.run(self.script().command("list_principals")))

    def _qualified(self, name: str) -> str:
        return name if "@" in name else f"{name}@{self.realm}"
