"""The lab's WinRM endpoint: `LabServer(backend).start()` serves every backend host over WinRM.

    with LabServer(backend, tls=True) as lab:
        ep = lab.endpoints()["dc01"]  # Endpoint(scheme, address, port, path)
        WSMan(ep.address, port=ep.port, path=ep.wsman_path, ssl=True,
              cert_validation=str(lab.ca_path), ...)
        lab.faults.set("dc01", FaultSpec(http_status=503, times=1))
        lab.counters.snapshot().soap_requests("Receive")
        lab.faults.set_all(*flaky_network(0.03))   # 3 % of every host's requests fail
        lab.counters.snapshot().cmdlet_runs("New-ADUser", host="dc01")

By default all hosts share one port and are told apart by path (/wsman/<host>); with
`port_per_host=True` each host has its own port and the path is /wsman, as on Windows.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from orchestrator.lab.contract import LabBackend
from orchestrator.lab.http import ntlm, tls
from orchestrator.lab.http.auth import Authenticator
from orchestrator.lab.http.counters import Counters
from orchestrator.lab.http.exchange import Exchange
from orchestrator.lab.http.faults import FaultTable
from orchestrator.lab.http.router import Router
from orchestrator.lab.http.server import Acceptor, LabHTTPServer
from orchestrator.lab.psrp.run import PipelineRunner
from orchestrator.lab.psrp.shell import PowerShellShell
from orchestrator.lab.wsman.service import WSManService
from orchestrator.lab.wsman.shells import Shell, ShellRegistry
from orchestrator.lab.wsman.soap import WSManRequest

__all__ = ["Endpoint", "LabServer"]


class Endpoint(NamedTuple):
    """Where a WinRM client reaches one lab host."""

    scheme: str
    address: str
    port: int
    path: str

    @property
    def url(self) -> str:
        """The full endpoint URL."""
        return f"{self.scheme}://{self.address}:{self.port}{self.path}"

    @property
    def wsman_path(self) -> str:
        """The path as pypsrp's WSMan(path=...) takes it: without the leading "/"."""
        return self.path.lstrip("/")


class LabServer:
    """Every host of a LabBackend behind real WinRM: HTTP or HTTPS, Basic and NTLM/Negotiate."""

    def __init__(
        self,
        backend: LabBackend,
        *,
        tls: bool = False,
        address: str = "127.0.0.1",
        port: int = 0,
        port_per_host: bool = False,
        state_dir: Path | None = None,
        idle_timeout: float = 120.0,
        max_operation_timeout: float = 60.0,
        shell_idle_timeout: float = 7200.0,
        max_body: int = 1 << 20,
        fault_seed: int | None = None,
        kerberos_domain: str | None = None,
    ) -> None:
        self.backend = backend
        # set: hosts also accept Kerberos for HTTP/<host>.<kerberos_domain>, with the keys of
        # the keytab KRB5_KTNAME names when the server starts (kerberos.LabRealm sets it)
        self._kerberos_domain = kerberos_domain
        self.faults = FaultTable(seed=fault_seed)
        self.counters = Counters()
        self._tls = tls
        self._address = address
        self._port = port
        self._port_per_host = port_per_host
        self._given_dir = state_dir
        self._idle_timeout = idle_timeout
        self._max_timeout = max_operation_timeout
        self._shell_idle = shell_idle_timeout
        self._max_body = max_body
        self._dir: Path | None = None
        self._ca_path: Path | None = None
        self._servers: list[LabHTTPServer] = []
        self._acceptor: Acceptor | None = None
        self._registry: ShellRegistry | None = None
        self._runner: PipelineRunner | None = None

    @property
    def ca_path(self) -> Path | None:
        """The CA certificate (PEM) HTTPS clients should trust; None over HTTP."""
        return self._ca_path

    @property
    def state_dir(self) -> Path:
        """Where the lab keeps its CA and NTLM credential files while running."""
        if self._dir is None:
            raise RuntimeError("the lab is not started")
        return self._dir

    def start(self) -> LabServer:
        """Bind, generate TLS material if asked, and start accepting connections."""
        self._dir = self._given_dir or Path(tempfile.mkdtemp(prefix="orchestrator-lab-"))
        material = tls.generate(self._dir / "tls") if self._tls else None
        self._ca_path = material.ca_path if material else None
        exchange = self._exchange(material.channel_binding if material else None)
        context = material.context if material else None
        self._servers = [
            self._listener(exchange, host, i, context) for i, host in self._listeners()
        ]
        self._acceptor = Acceptor(self._servers)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every shell and connection, and remove the state directory."""
        if self._acceptor is not None:
            self._acceptor.stop()
            self._acceptor = None
        if self._registry is not None:
            self._registry.close_all()
        if self._runner is not None:
            self._runner.shutdown()
        for server in self._servers:
            server.close_connections()
        deadline = time.monotonic() + 2.0
        while any(s.open_connections() for s in self._servers) and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._dir is not None:
            ntlm.release(self._dir)
            shutil.rmtree(self._dir / "ntlm", ignore_errors=True)  # NT hashes never outlive the lab
            if self._given_dir is None:
                shutil.rmtree(self._dir, ignore_errors=True)
        self._servers = []

    def endpoints(self) -> dict[str, Endpoint]:
        """Every host's endpoint, in the backend's order."""
        scheme = "https" if self._tls else "http"
        if self._port_per_host:
            return {
                s.fixed_host: Endpoint(
                    scheme, self._address, s.port, Router.path_for("", port_per_host=True)
                )
                for s in self._servers
                if s.fixed_host is not None
            }
        port = self._servers[0].port if self._servers else self._port
        return {
            host: Endpoint(scheme, self._address, port, Router.path_for(host, port_per_host=False))
            for host in self.backend.host_names()
        }

    def open_shells(self) -> int:
        """How many shells are open across every host."""
        return sum(1 for _ in self._registry) if self._registry else 0

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- wiring -------------------------------------------------------------------------------

    def _exchange(self, channel_binding: bytes | None) -> Exchange:
        assert self._dir is not None
        store = ntlm.CredentialStore(self.backend, self._dir / "ntlm")
        acceptor = ntlm.NegotiateAcceptor(store, channel_binding, self._kerberos_domain)
        authenticator = Authenticator(self.backend, self.counters, acceptor)
        self._registry = ShellRegistry(self._shell_idle, self._shell_closed)
        self._runner = PipelineRunner(self.backend, on_start=self.counters.pipeline)
        wsman = WSManService(
            self._registry, self._open_powershell, self._shell_opened, self._max_timeout
        )
        router = Router(self.backend)
        return Exchange(
            backend=self.backend,
            router=router,
            authenticator=authenticator,
            faults=self.faults,
            counters=self.counters,
            wsman=wsman,
        )

    def _listeners(self) -> list[tuple[int, str | None]]:
        if not self._port_per_host:
            return [(0, None)]
        return list(enumerate(self.backend.host_names()))

    def _listener(
        self, exchange: Exchange, host: str | None, index: int, context: object
    ) -> LabHTTPServer:
        port = self._port + index if self._port else 0
        return LabHTTPServer(
            (self._address, port),
            exchange,
            self.counters,
            self.faults,
            fixed_host=host,
            tls_context=context,  # type: ignore[arg-type]
            idle_timeout=self._idle_timeout,
            max_body=self._max_body,
        )

    def _open_powershell(self, host: str, user: str, request: WSManRequest, shell_id: str) -> Shell:
        assert self._runner is not None
        return PowerShellShell(self._runner, host, user, request, shell_id)

    def _shell_opened(self, shell: Shell) -> None:
        self.counters.shell_opened(shell.host)

    def _shell_closed(self, shell: Shell) -> None:
        self.counters.shell_closed(shell.host)
