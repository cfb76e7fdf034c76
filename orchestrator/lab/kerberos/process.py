"""The KDC's database and process: kdb5_util creates the one, krb5kdc runs the other.

krb5kdc runs in the foreground (-n) as our child, so stopping the lab stops it and nothing is
left behind. It is ready when its TCP listener accepts a connection. MIT's "krb5kdc" and
"kdb5_util" pages (https://web.mit.edu/kerberos/krb5-latest/doc/admin/admin_commands/).
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Mapping
from typing import IO

from orchestrator.lab.kerberos.config import KdcFiles
from orchestrator.lab.kerberos.errors import KdcError, redact
from orchestrator.lab.kerberos.tools import find_tool

_POLL = 0.02  # seconds between readiness probes
_READY = "commencing operation"  # krb5kdc's log line once its sockets are set up


def free_port() -> int:
    """A loopback port free for TCP and UDP alike (the KDC listens on both)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise KdcError("no loopback port is free for both TCP and UDP", "Free some ports, or pass one")


def create_database(realm: str, files: KdcFiles, env: Mapping[str, str]) -> None:
    """A new principal database with a random master key, stashed (kdb5_util create -s).

    The master key is typed at kdb5_util's prompt through stdin (twice: entry and check), not
    given with -P, which would show it in `ps`."""
    master = secrets.token_urlsafe(32)
    done = subprocess.run(  # noqa: S603 -- fixed program and arguments; the key goes on stdin
        [find_tool("kdb5_util"), "create", "-s", "-r", realm],
        input=f"{master}\n{master}\n",
        capture_output=True,
        text=True,
        errors="replace",
        env=dict(env),
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        detail = redact(done.stderr.strip(), [master])
        raise KdcError(
            f"kdb5_util could not create the database for {realm} in {files.directory}: {detail}",
            "Start from an empty state directory (remove its principal* files)",
        )


class KdcProcess:
    """krb5kdc in the foreground, logging to `files.console`; stopped by `stop()`."""

    def __init__(self, realm: str, port: int, files: KdcFiles, env: Mapping[str, str]) -> None:
        self.realm = realm
        self.port = port
        self.files = files
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None
        self._log_start = 0

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id while started."""
        return None if self._process is None else self._process.pid

    def start(self, ready_timeout: float) -> None:
        """Start krb5kdc and return once it serves (stopped again on failure)."""
        self._log_start = self.files.kdc_log.stat().st_size if self.files.kdc_log.exists() else 0
        self._console = self.files.console.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 -- fixed program and arguments
            [find_tool("krb5kdc"), "-n", "-r", self.realm],
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            env=self._env,
        )
        try:
            self._wait_until_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _log_since_start(self) -> str:
        if not self.files.kdc_log.exists():
            return ""
        with self.files.kdc_log.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode("utf-8", "replace")

    def _serving(self) -> bool:
        """Ready = it logged that it set up its sockets and its TCP port answers. The log line
        matters: a connect alone could reach another program holding the port."""
        if _READY not in self._log_since_start():
            return False
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=_POLL * 5).close()
        except OSError:
            return False
        return True

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise self._exited()
            if self._serving():
                return
            time.sleep(_POLL)
        raise KdcError(
            f"krb5kdc did not start serving on 127.0.0.1:{self.port} within {timeout:.0f} s",
            f"See {self.files.kdc_log}",
        )

    def _exited(self) -> KdcError:
        assert self._process is not None
        errors = [line for line in self._log_since_start().splitlines() if "(Error)" in line]
        return KdcError(
            f"krb5kdc exited with status {self._process.returncode} on port {self.port}:"
            f" {' / '.join(errors[-2:]) or 'no error logged'}",
            f"If the port is in use, pick another (0: any free one); see {self.files.kdc_log}",
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate krb5kdc (kill it if it lingers) and close its console file; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._console is not None:
            self._console.close()
            self._console = None
