"""The fan-out core: one pool, one preflight, one breaker, one record of the hosts that are out."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.commands import Command, CommandResult
from orchestrator.engine import events as ev
from orchestrator.engine.fanout import CONNECT_STEP, Fanout, OutKind
from orchestrator.engine.step import Status
from orchestrator.errors import AuthError, ConnectError, NotContactedError
from orchestrator.inventory.loader import load_inventory
from orchestrator.inventory.model import Host

from .test_runner import INVENTORY, Events


class Door:
    """A connector whose hosts check the password themselves: each logon attempt is counted,
    as a domain controller counts badPwdCount; `down` hosts do not answer at all."""

    def __init__(self, *, bad: frozenset[str] = frozenset(), down: frozenset[str] = frozenset()):
        self.bad = bad
        self.down = down
        self.failed_logons: list[str] = []
        self.asked: list[str] = []
        self.closed = 0
        self._lock = threading.Lock()
        self._open: set[str] = set()
        self.asking = 0
        self.peak_asking = 0

    def reachable(self, host: Host) -> None:
        with self._lock:
            self.asked.append(host.name)
            self.asking += 1
            self.peak_asking = max(self.peak_asking, self.asking)
        time.sleep(0.02)
        with self._lock:
            self.asking -= 1
        if host.name in self.down:
            raise ConnectError(f"{host.name}: connection refused", connected=False)

    def authenticate(self, host: Host) -> None:
        self._log_on(host)

    def transport(self, host: Host) -> _Session:
        return _Session(self, host)

    def close_all(self) -> None:
        self.closed += 1

    def _log_on(self, host: Host) -> None:
        with self._lock:
            if host.name in self._open:
                return
        time.sleep(0.01)  # long enough for two threads to meet here
        if host.connection.credential in self.bad:
            with self._lock:
                self.failed_logons.append(host.name)
            raise AuthError(f"{host.name}: 401")
        with self._lock:
            self._open.add(host.name)


class _Session:
    def __init__(self, door: Door, host: Host) -> None:
        self.door = door
        self.host = host

    def run(self, command: Command, *, timeout: timedelta | None = None) -> CommandResult:
        self.door._log_on(self.host)
        return CommandResult(command)

    def close(self) -> None:
        """Nothing to close."""


@pytest.fixture
def hosts(tmp_path: Path) -> dict[str, Host]:
    """s1-s3 (credential admins) and w1-w2 (credential clients)."""
    (tmp_path / "inv.yml").write_text(INVENTORY)
    return {h.name: h for h in load_inventory(tmp_path / "inv.yml").hosts}


def test_the_preflight_asks_every_host_at_once_and_logs_on_once_per_credential(
    hosts: dict[str, Host],
) -> None:
    """Every host is asked in parallel (no logon); a host that is down is out, unreachable;
    each credential then logs on exactly once."""
    door = Door(down=frozenset({"s1"}))
    events = Events()
    with Fanout(door, forks=5, events=ev.EventBus([events.append])) as fanout:
        fanout.preflight(list(hosts.values()))
        assert sorted(door.asked) == sorted(hosts)
        assert door.peak_asking > 1
        assert fanout.exclusion(hosts["s1"]) is not None
        assert fanout.exclusion(hosts["s1"]).kind is OutKind.UNREACHABLE  # type: ignore[union-attr]
        assert [h.name for h in fanout.active(hosts.values())] == ["s2", "s3", "w1", "w2"]
    accepted = [(e.credential, e.host) for e in events.of(ev.CredentialAccepted)]
    assert sorted(accepted) == [("admins", "s2"), ("clients", "w1")]
    (connect,) = [e for e in events.of(ev.HostStepFinished) if e.step == CONNECT_STEP]
    assert (connect.host, connect.status) == ("s1", Status.UNREACHABLE)
    assert door.closed == 1


def test_a_rejected_credential_costs_one_failed_logon_on_every_path(
    hosts: dict[str, Host],
) -> None:
    """Preflight, then commands, then a second preflight (a later phase): one failed logon."""
    door = Door(bad=frozenset({"admins"}))
    with Fanout(door) as fanout:
        servers = [hosts["s1"], hosts["s2"], hosts["s3"]]
        fanout.preflight(servers)
        for host in servers:
            with pytest.raises(NotContactedError, match="exactly one attempt"):
                fanout.transport(host).run(Command.of("Get-Date"))
        fanout.preflight(servers)
        assert [r.host for r in fanout.rejections()] == ["s1"]
    assert door.failed_logons == ["s1"]


def test_an_unproven_credential_makes_its_first_contacts_one_at_a_time(
    hosts: dict[str, Host],
) -> None:
    """Without a preflight, ten threads reaching for a wrong credential cost one failed logon."""
    door = Door(bad=frozenset({"admins"}))
    with Fanout(door, forks=10) as fanout:
        targets = [hosts["s1"], hosts["s2"], hosts["s3"]] * 3

        def reach(host: Host) -> str:
            try:
                fanout.transport(host).run(Command.of("Get-Date"))
            except AuthError as exc:
                return type(exc).__name__
            return "ok"

        answers = fanout.map(targets, reach)
    assert len(door.failed_logons) == 1
    assert answers.count("AuthError") == 1
    assert answers.count("NotContactedError") == len(targets) - 1


def test_a_host_is_taken_out_once_and_keeps_its_first_reason(hosts: dict[str, Host]) -> None:
    """The first reason a host left the command is the one kept; `left` names it."""
    with Fanout(Door()) as fanout:
        assert fanout.take_out(hosts["w1"], OutKind.FAILED, "'one': boom")
        assert not fanout.take_out(hosts["w1"], OutKind.UNREACHABLE, "later")
        assert fanout.exclusions(hosts.values())["w1"].reason == "'one': boom"
        assert fanout.left() == frozenset({"w1"})


def test_a_bug_in_a_worker_is_raised_not_lost(hosts: dict[str, Host]) -> None:
    """An exception in one worker reaches the caller of map, after every worker ended."""
    done: list[str] = []

    def work(host: Host) -> None:
        if host.name == "s2":
            raise ValueError("a bug")
        done.append(host.name)

    with Fanout(Door()) as fanout, pytest.raises(ValueError, match="a bug"):
        fanout.map(list(hosts.values()), work)
    assert sorted(done) == ["s1", "s3", "w1", "w2"]
