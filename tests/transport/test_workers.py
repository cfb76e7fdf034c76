"""The worker processes' connector: calls forwarded by id, errors and secrets carried intact,
hosts pinned, logs written by the coordinator, and no worker outliving its coordinator."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from orchestrator.app.reach import open_fanout
from orchestrator.commands import Command
from orchestrator.errors import (
    AuthError,
    ConnectError,
    NotContactedError,
    OperationTimeout,
    RemoteError,
    ServerError,
    TransportError,
    Where,
)
from orchestrator.inventory.model import Connection, Host, Inventory
from orchestrator.secrets import Secret
from orchestrator.transport.wire import Reply, dumps, loads, read_reply, reply_bytes
from orchestrator.transport.workers import WorkerConnector

from .worker_fakes import FakeConnector, fake_connector

PASSWORD = "Pw-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _hosts(*names: str) -> tuple[Host, ...]:
    return tuple(Host(n, "127.0.0.1", connection=Connection(credential="admin")) for n in names)


def _connector(hosts: tuple[Host, ...], workers: int = 2, threads: int = 4) -> WorkerConnector:
    inventory = Inventory(Path("inventory.yml"), hosts)
    credentials = {"admin": ("lab\\admin", Secret(PASSWORD))}
    return WorkerConnector(fake_connector, inventory, credentials, workers=workers, threads=threads)


@pytest.fixture(scope="module", autouse=True)
def importable() -> Iterator[None]:
    """The workers import the fake by name: put the checkout on the path they are given
    (pytest's importlib mode does not; spawn hands its children this process's sys.path)."""
    sys.path.insert(0, str(ROOT))
    yield
    sys.path.remove(str(ROOT))


@pytest.fixture(scope="module")
def shared(importable: None) -> Iterator[tuple[WorkerConnector, tuple[Host, ...]]]:
    """Two workers over four hosts, for the tests that leave the workers alive."""
    hosts = _hosts("h0", "h1", "h2", "h3")
    connector = _connector(hosts)
    yield connector, hosts
    connector.close_all()


def _run(connector: WorkerConnector, host: Host, cmdlet: str, **params: Any) -> tuple[Any, ...]:
    return connector.transport(host).run(Command.of(cmdlet, **params)).outputs


@pytest.mark.parametrize(
    "error",
    [
        AuthError("h: rejected", where=Where("h", "s", 2), may_have_run=False),
        NotContactedError("h: not contacted"),
        ConnectError("h: refused", where=Where("h"), may_have_run=False, connected=False),
        OperationTimeout("h: slow", where=Where("h", "s", 1)),
        ServerError("h: 500"),
        TransportError("h: odd"),
        RemoteError("Get-X: no", fq_error_id="UserNotFound,X", category="ObjectNotFound"),
    ],
)
def test_an_error_crosses_the_pipe_with_its_type_and_attributes(error: Exception) -> None:
    """Every transport error (and a cmdlet's) arrives as the same type with the same fields."""
    error.__cause__ = ValueError("pypsrp detail")
    back = loads(dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)
    assert back.__cause__ is None  # the library's exception stays in the worker


def test_a_secret_crosses_the_pipe_but_nothing_else_pickles_it() -> None:
    """Our pipe carries a Secret's value; the standard pickler still refuses it."""
    back = loads(dumps(Command.of("Set-X", Password=Secret(PASSWORD, "pw"))))
    assert isinstance(back.param("Password"), Secret)
    assert back.param("Password").reveal() == PASSWORD
    with pytest.raises(TypeError):
        pickle.dumps(Secret(PASSWORD))


def test_a_reply_that_cannot_be_read_still_answers_its_caller() -> None:
    """A reply whose pickle fails to load is its caller's error, never a lost answer."""
    reply = read_reply(reply_bytes(Reply(7, value=1))[:12])
    assert reply.id == 7
    assert isinstance(reply.error, RuntimeError)


def test_an_answer_that_cannot_be_sent_is_an_error_not_a_hang(
    shared: tuple[WorkerConnector, tuple[Host, ...]],
) -> None:
    """An output pickle refuses comes back as an error naming what could not be sent."""
    connector, hosts = shared
    with pytest.raises(RuntimeError, match="could not send back its answer"):
        _run(connector, hosts[0], "Lambda")
    assert _run(connector, hosts[0], "Sleep", Seconds=0) == ("h0",)


def test_answers_reach_their_callers_by_request_id(
    shared: tuple[WorkerConnector, tuple[Host, ...]],
) -> None:
    """Calls in flight at once on the same worker each get their own answer, in any order."""
    connector, hosts = shared
    delays = {"h0": 0.3, "h1": 0.0, "h2": 0.1, "h3": 0.2}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda h: _run(connector, h, "Sleep", Seconds=delays[h.name]), hosts)
        )
    assert answers == [(h.name,) for h in hosts]


def test_a_host_stays_on_one_worker_and_the_hosts_spread_over_all(
    shared: tuple[WorkerConnector, tuple[Host, ...]],
) -> None:
    """Round robin by first use: a host's calls all go to one process; two processes serve."""
    connector, hosts = shared
    pids = {h.name: {_run(connector, h, "Whoami")[0] for _ in range(3)} for h in hosts}
    assert all(len(found) == 1 for found in pids.values())
    assert len({pid for found in pids.values() for pid in found}) == 2
    assert os.getpid() not in {pid for found in pids.values() for pid in found}


def test_the_worker_has_the_password_from_the_pipe(
    shared: tuple[WorkerConnector, tuple[Host, ...]],
) -> None:
    """The credential reaches the worker's connector (never through argv or environment)."""
    connector, hosts = shared
    pid, size, _ = _run(connector, hosts[0], "Whoami")
    assert size == len(PASSWORD)
    argv = Path(f"/proc/{pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert PASSWORD.encode() not in argv
    assert PASSWORD.encode() not in environ


@pytest.mark.parametrize(
    ("kind", "expected", "may_have_run", "connected"),
    [
        ("auth", AuthError, False, True),
        ("connect", ConnectError, False, False),
        ("other", TransportError, True, True),
    ],
)
def test_what_the_transport_raises_is_raised_in_the_coordinator(
    shared: tuple[WorkerConnector, tuple[Host, ...]],
    kind: str,
    expected: type[TransportError],
    may_have_run: bool,
    connected: bool,
) -> None:
    """The retry and breaker logic sees the worker's error as if it were raised here."""
    connector, hosts = shared
    with pytest.raises(expected) as raised:
        _run(connector, hosts[1], "Fail", Kind=kind)
    assert type(raised.value) is expected
    assert raised.value.may_have_run is may_have_run
    assert raised.value.connected is connected
    assert raised.value.where == Where("h1", "s", 2)


def test_reachable_and_authenticate_are_forwarded(
    shared: tuple[WorkerConnector, tuple[Host, ...]],
) -> None:
    """The preflight's two questions go to the host's worker, and their errors come back."""
    connector, hosts = shared
    connector.reachable(hosts[2])
    connector.authenticate(hosts[2])
    with pytest.raises(ConnectError):
        connector.reachable(_hosts("down1")[0])


def test_the_transport_logs_through_the_coordinators_logging() -> None:
    """A worker's info event is written here (its secret redacted by our processors); debug
    events stay quiet at the default level, as in one process."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        hosts = _hosts("h0")
        connector = _connector(hosts, workers=1)
        with capture_logs() as logs:
            _run(connector, hosts[0], "Log")
            connector.close_all()
    finally:
        structlog.reset_defaults()
    assert [(e["event"], e["log_level"]) for e in logs] == [("fake.info", "info")]
    assert isinstance(logs[0]["secret"], Secret)  # still a Secret: the redaction applies


def test_a_dead_worker_fails_its_calls_truthfully() -> None:
    """The command in flight may have run; the host's later calls, and its other hosts', were
    never sent; the other worker keeps serving."""
    hosts = _hosts("h0", "h1", "h2")
    connector = _connector(hosts)
    try:
        for host in hosts:  # pinned by first use: h0 and h2 on worker 0, h1 on worker 1
            _run(connector, host, "Whoami")
        with pytest.raises(TransportError) as died:
            _run(connector, hosts[0], "Die")
        assert type(died.value) is TransportError  # not transient: not resent
        assert died.value.may_have_run is True
        for call in (
            lambda: _run(connector, hosts[0], "Whoami"),
            lambda: connector.authenticate(hosts[2]),
        ):
            with pytest.raises(TransportError) as after:
                call()
            assert after.value.may_have_run is False
        assert _run(connector, hosts[1], "Sleep", Seconds=0) == ("h1",)
    finally:
        connector.close_all()


def test_close_all_stops_every_worker_once() -> None:
    """close_all closes the workers' connections and the processes exit; twice is harmless."""
    hosts = _hosts("h0", "h1")
    connector = _connector(hosts)
    for host in hosts:
        _run(connector, host, "Whoami")
    workers = [w.process for w in connector._workers]
    connector.close_all()
    connector.close_all()
    assert [p.exitcode for p in workers] == [0, 0]


def test_a_worker_ignores_ctrl_c(shared: tuple[WorkerConnector, tuple[Host, ...]]) -> None:
    """Ctrl-C is the coordinator's: it still needs the workers to revert open windows."""
    connector, hosts = shared
    pid = _run(connector, hosts[3], "Whoami")[0]
    os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert _run(connector, hosts[3], "Whoami")[0] == pid


_COORDINATOR = textwrap.dedent(
    """
    import sys, time
    from tests.transport.test_workers import _connector, _hosts, _run
    if __name__ == "__main__":
        hosts = _hosts("h0", "h1")
        connector = _connector(hosts)
        print(*{_run(connector, h, "Whoami")[0] for h in hosts}, flush=True)
        time.sleep(60)
    """
)


def test_workers_exit_when_the_coordinator_dies(tmp_path: Path) -> None:
    """kill -9 of the coordinator closes the pipes: its workers exit, none is orphaned."""
    script = tmp_path / "coordinator.py"
    script.write_text(_COORDINATOR)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    ) as coordinator:
        assert coordinator.stdout is not None
        pids = [int(p) for p in coordinator.stdout.readline().split()]
        assert len(pids) == 2
        coordinator.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_open_fanout_keeps_one_process_where_workers_cannot_pay() -> None:
    """--workers 0 or 1, one host, or a test's own connector: the connector runs here."""
    from orchestrator.transport.psrp import PsrpConnector

    hosts = _hosts("h0", "h1", "h2")
    inventory = Inventory(Path("inventory.yml"), hosts)
    credentials = {"admin": ("admin", Secret(PASSWORD))}
    for workers in (0, 1):
        with open_fanout(inventory, credentials, workers=workers) as fanout:
            assert isinstance(fanout.connector, PsrpConnector)
    single = Inventory(Path("inventory.yml"), hosts[:1])
    with open_fanout(single, credentials, workers=4) as fanout:
        assert isinstance(fanout.connector, PsrpConnector)
    with open_fanout(inventory, credentials, workers=2, factory=fake_connector) as fanout:
        assert isinstance(fanout.connector, FakeConnector)
    with open_fanout(inventory, credentials, workers=2, forks=5) as fanout:
        assert isinstance(fanout.connector, WorkerConnector)


def test_by_default_workers_start_only_for_an_inventory_where_they_pay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No --workers: one process below MIN_HOSTS_FOR_WORKERS hosts, workers from there on."""
    from orchestrator.app import reach
    from orchestrator.transport.psrp import PsrpConnector

    monkeypatch.setattr(reach, "default_workers", lambda: 2)
    credentials = {"admin": ("admin", Secret(PASSWORD))}
    names = [f"h{i}" for i in range(reach.MIN_HOSTS_FOR_WORKERS)]
    small = Inventory(Path("inventory.yml"), _hosts(*names[:-1]))
    with open_fanout(small, credentials) as fanout:
        assert isinstance(fanout.connector, PsrpConnector)
    large = Inventory(Path("inventory.yml"), _hosts(*names))
    with open_fanout(large, credentials) as fanout:
        assert isinstance(fanout.connector, WorkerConnector)
