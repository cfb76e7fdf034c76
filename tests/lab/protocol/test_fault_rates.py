"""Probabilistic transport faults: seeded draws, shared faults, counters, and what pypsrp sees."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import requests
from pypsrp.exceptions import WinRMTransportError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan
from typer.testing import CliRunner

from orchestrator.lab.cli import app
from orchestrator.lab.harness import LabOptions, RunningLab
from orchestrator.lab.http.counters import Counters
from orchestrator.lab.http.faults import ALL_HOSTS, FaultSpec, FaultTable, flaky_network
from orchestrator.lab.server import LabServer

from .conftest import ClientFactory, connect
from .fakes import FakeBackend

COMMAND = frozenset({"Command"})
RECEIVE = frozenset({"Receive"})
TIMED_OUT = 2150858793


def _kinds(table: FaultTable, draws: int, host: str = "h", action: str = "Command") -> list[str]:
    """The kind of fault each of `draws` requests gets ("" for none)."""
    return [spec.kind if (spec := table.take(host, action)) else "" for _ in range(draws)]


# -- the table ---------------------------------------------------------------------------------


def test_rate_is_respected_over_many_draws() -> None:
    """A 10 % fault hits about 200 of 2,000 matching requests (fixed seed, well within 4 sigma)."""
    table = FaultTable(seed=2024)
    table.set("h", FaultSpec(http_status=500, rate=0.1))
    fired = sum(1 for kind in _kinds(table, 2000) if kind)
    assert 150 <= fired <= 250


def test_same_seed_gives_the_same_sequence() -> None:
    """Two tables seeded alike fault the same requests; reseed restarts the sequence."""
    first, second = FaultTable(seed=7), FaultTable(seed=7)
    for table in (first, second):
        table.set("h", FaultSpec(drop=True, rate=0.3))
    sequence = _kinds(first, 200)
    assert _kinds(second, 200) == sequence
    other = FaultTable(seed=8)
    other.set("h", FaultSpec(drop=True, rate=0.3))
    assert _kinds(other, 200) != sequence
    first.reseed(7)
    assert _kinds(first, 200) == sequence


def test_rates_add_up_and_at_most_one_fault_fires() -> None:
    """flaky_network(0.3) fails about 30 % of requests, split evenly among its three kinds."""
    table = FaultTable(seed=11)
    table.set_all(*flaky_network(0.3))
    kinds = Counter(_kinds(table, 3000))
    assert 800 <= 3000 - kinds[""] <= 1000
    for kind in ("http_500", "drop", "drop_after"):
        assert 240 <= kinds[kind] <= 360


def test_times_counts_only_the_requests_a_rated_fault_hit() -> None:
    """A rated fault with times=3 fires exactly three times, though more requests matched."""
    table = FaultTable(seed=3)
    table.set("h", FaultSpec(drop_after=True, rate=0.25, times=3))
    hits = [index for index, kind in enumerate(_kinds(table, 400)) if kind]
    assert len(hits) == 3
    assert hits[-1] > 2  # matching requests the draw spared did not use up `times`


def test_shared_faults_apply_to_every_host_after_its_own() -> None:
    """set_all reaches every host; a host's own faults are tried first; clear(ALL_HOSTS) ends it."""
    table = FaultTable()
    table.set_all(FaultSpec(http_status=500))
    table.set("a", FaultSpec(drop=True, times=1))
    assert _kinds(table, 2, host="a") == ["drop", "http_500"]
    assert _kinds(table, 1, host="b") == ["http_500"]
    table.set_all(FaultSpec(down=True))
    assert table.is_down("b")
    table.clear(ALL_HOSTS)
    assert not table.is_down("b")
    assert table.take("b", "Command") is None


def test_shared_rated_faults_respect_actions() -> None:
    """A shared rated fault limited to Receive never touches a Command, and hits every Receive."""
    table = FaultTable(seed=1)
    table.set_all(FaultSpec(http_status=503, rate=1.0, actions=RECEIVE))
    assert _kinds(table, 50, action="Command") == [""] * 50
    assert _kinds(table, 50, action="Receive") == ["http_503"] * 50


@pytest.mark.parametrize(
    "make",
    [
        lambda: FaultSpec(drop=True, rate=0.0),
        lambda: FaultSpec(drop=True, rate=1.5),
        lambda: FaultSpec(drop=True, rate=-0.1),
        lambda: FaultSpec(drop=True, rate=math.nan),
        lambda: FaultSpec(down=True, rate=0.5),
        lambda: FaultSpec(idle_close=1.0, rate=0.5),
        lambda: FaultSpec(drop=True, drop_after=True),
        lambda: FaultSpec(http_status=500, drop_after=True),
        lambda: flaky_network(0.0),
        lambda: flaky_network(1.01),
    ],
    ids=[
        "zero",
        "above-one",
        "negative",
        "nan",
        "down",
        "idle",
        "drop+after",
        "500+after",
        "mix0",
        "mix>1",
    ],
)
def test_impossible_faults_are_refused(make: Callable[[], object]) -> None:
    """A rate outside (0, 1], a rated connection fault, or two answers at once is a ValueError."""
    with pytest.raises(ValueError, match=r"rate|exclusive"):
        make()


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        (FaultSpec(http_status=500), "http_500"),
        (FaultSpec(drop=True), "drop"),
        (FaultSpec(drop_after=True, latency=0.1), "drop_after"),
        (FaultSpec(operation_timeout=True), "operation_timeout"),
        (FaultSpec(hang=2.0), "hang"),
        (FaultSpec(latency=0.1), "latency"),
    ],
)
def test_fault_kind_names_what_the_client_sees(spec: FaultSpec, kind: str) -> None:
    """Each fault is counted under the name of its answer (a delay only when it only delays)."""
    assert spec.kind == kind


def test_counters_total_faults_and_cmdlets_and_reset() -> None:
    """faults_fired and cmdlet_runs filter by kind, name (any case) and host; reset zeroes both."""
    counters = Counters()
    counters.fault("a", "drop")
    counters.fault("b", "drop")
    counters.fault("a", "http_500")
    counters.pipeline("a", ["Get-LocalUser", "Enable-LocalUser"])
    counters.pipeline("b", ["get-localuser"])
    snapshot = counters.snapshot()
    assert snapshot.faults_fired() == 3
    assert snapshot.faults_fired("drop") == 2
    assert snapshot.faults_fired(host="a") == 2
    assert snapshot.cmdlet_runs("GET-LOCALUSER") == 2
    assert snapshot.cmdlet_runs("Enable-LocalUser", host="b") == 0
    assert snapshot.cmdlets[("a", "Enable-LocalUser")] == 1
    counters.reset()
    assert counters.snapshot().faults_fired() == counters.snapshot().cmdlet_runs() == 0


# -- through pypsrp, against the lab ------------------------------------------------------------


def _new_user(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("New-ADUser").add_parameter("Name", "flaky")
    ps.invoke()


def _guest_probe(pool: RunspacePool) -> int:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
    return len(ps.invoke())


def test_empty_500_is_transport_error_and_the_cmdlet_did_not_run(
    lab: LabServer, client: ClientFactory, backend: FakeBackend
) -> None:
    """A sealed Command answered with an empty 500 is WinRMTransportError(500); nothing ran."""
    with RunspacePool(client(auth="ntlm")) as pool:
        lab.faults.set("dc01", FaultSpec(http_status=500, rate=1.0, actions=COMMAND, times=1))
        with pytest.raises(WinRMTransportError) as failure:
            _new_user(pool)
        assert (failure.value.code, failure.value.response_text) == (500, "")
        assert backend.invocations == []
        snapshot = lab.counters.snapshot()
        assert snapshot.cmdlet_runs() == 0
        assert snapshot.faults[("dc01", "http_500")] == 1
        _new_user(pool)  # the sealed connection survives an empty 500
    assert [h for h, _, _ in backend.invocations] == ["dc01"]
    assert lab.counters.snapshot().cmdlet_runs("New-ADUser", host="dc01") == 1


def test_drop_before_leaves_the_lab_unchanged(
    lab: LabServer, client: ClientFactory, backend: FakeBackend
) -> None:
    """A Command dropped before the service is ConnectionError, and no pipeline started."""
    with RunspacePool(client()) as pool:
        lab.faults.set("dc01", FaultSpec(drop=True, rate=1.0, actions=COMMAND, times=1))
        with pytest.raises(requests.exceptions.ConnectionError):
            _new_user(pool)
        assert backend.invocations == []
        assert backend.secrets == []
        snapshot = lab.counters.snapshot()
        assert (snapshot.faults_fired("drop", "dc01"), snapshot.cmdlet_runs()) == (1, 0)


def test_drop_after_on_receive_loses_the_output(
    lab: LabServer, client: ClientFactory, backend: FakeBackend
) -> None:
    """A Receive dropped after the service answered loses its output: asking again times out."""
    with RunspacePool(client(operation_timeout=1, read_timeout=3)) as pool:
        lab.faults.set("dc01", FaultSpec(drop_after=True, actions=RECEIVE, times=1))
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Many").add_parameter("Count", 2)
        with pytest.raises(requests.exceptions.ConnectionError):
            ps.invoke()
        assert len(backend.invocations) == 1  # the pipeline ran and its output was taken
        with pytest.raises(WSManFaultError) as fault:
            pool.shell.receive("stdout", command_id=str(ps.id).upper(), timeout=1)
        assert fault.value.code == TIMED_OUT
        assert _guest_probe(pool) == 1  # the pool itself is fine
    assert lab.counters.snapshot().faults_fired("drop_after") == 1


@pytest.mark.parametrize("kind", ["drop", "drop_after"])
def test_a_drop_ends_a_sealed_client(lab: LabServer, client: ClientFactory, kind: str) -> None:
    """After either drop on an NTLM-sealed connection, pypsrp's next request gets 400 (pypsrp #21)."""
    pool = RunspacePool(client(auth="ntlm"))
    pool.open()
    drop, after = kind == "drop", kind == "drop_after"
    lab.faults.set("dc01", FaultSpec(drop=drop, drop_after=after, actions=COMMAND, times=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        _guest_probe(pool)
    with pytest.raises(WinRMTransportError) as failure:
        _guest_probe(pool)
    assert failure.value.code == 400


def test_counted_cmdlets_are_one_per_command_of_a_pipeline(
    lab: LabServer, client: ClientFactory
) -> None:
    """Each command of a started pipeline counts once, on its host; script text is not counted."""
    with RunspacePool(client()) as pool:
        assert _guest_probe(pool) == 1
        assert _guest_probe(pool) == 1
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LocalUser").add_cmdlet("Echo-Parameters").add_statement()
        ps.add_script("Remove-Item C:\\ -Recurse")
        ps.invoke()
    with RunspacePool(client("srv01")) as pool:
        assert _guest_probe(pool) == 1
    cmdlets = lab.counters.snapshot().cmdlets
    assert cmdlets == Counter(
        {
            ("dc01", "Get-LocalUser"): 3,
            ("dc01", "Echo-Parameters"): 1,
            ("srv01", "Get-LocalUser"): 1,
        }
    )


def test_every_failure_on_a_flaky_network_is_one_counted_fault(
    lab: LabServer, client: ClientFactory
) -> None:
    """With 30 % of every host's requests failing, each failed invoke matches one counted fault."""
    with RunspacePool(client()) as pool:
        lab.faults.reseed(5)
        lab.faults.set_all(*flaky_network(0.3))
        failures = 0
        for _ in range(30):
            try:
                _guest_probe(pool)
            except (WinRMTransportError, requests.exceptions.ConnectionError):
                failures += 1
        lab.faults.clear()
    snapshot = lab.counters.snapshot()
    assert failures == snapshot.faults_fired() > 0
    assert {kind for _, kind in snapshot.faults} <= {"http_500", "drop", "drop_after"}


# -- a real domain: the change is made though the client saw a dropped connection ----------------


@pytest.fixture
def operator_client(domain_lab: RunningLab) -> Iterator[Callable[[str], WSMan]]:
    """pypsrp clients logging on to the domain lab as its operator over sealed NTLM."""
    made: list[WSMan] = []

    def factory(host: str) -> WSMan:
        wsman = connect(domain_lab.server, host, auth="ntlm", credentials=domain_lab.operator())
        made.append(wsman)
        return wsman

    yield factory
    for wsman in made:
        wsman.close()


def _wait_until(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_drop_after_a_mutating_command_leaves_the_change_made(
    domain_lab: RunningLab, operator_client: Callable[[str], WSMan]
) -> None:
    """Enable-LocalUser whose Command answer is dropped: ConnectionError, yet Guest is enabled."""
    backend = domain_lab.backend
    pool = RunspacePool(operator_client("CAP1"))
    pool.open()
    domain_lab.server.faults.set(
        "CAP1", FaultSpec(drop_after=True, rate=1.0, actions=COMMAND, times=1)
    )
    ps = PowerShell(pool)
    ps.add_cmdlet("Enable-LocalUser").add_parameter("Name", "Guest")
    with pytest.raises(requests.exceptions.ConnectionError):
        ps.invoke()

    def guest_enabled() -> bool:
        guest = backend.local_account("CAP1", "Guest")
        return guest is not None and guest.enabled

    assert _wait_until(guest_enabled)
    snapshot = domain_lab.server.counters.snapshot()
    assert snapshot.cmdlet_runs("Enable-LocalUser", host="CAP1") == 1
    assert snapshot.faults == Counter({("CAP1", "drop_after"): 1})


# -- the lab's options and the CLI --------------------------------------------------------------


def test_lab_options_apply_a_seeded_flaky_network_to_every_host() -> None:
    """fault_rate and fault_seed give every host the mix a table seeded alike draws."""
    lab = RunningLab(LabOptions(fault_rate=0.3, fault_seed=9, manual_clock=True))
    expected = FaultTable(seed=9)
    expected.set_all(*flaky_network(0.3))
    assert _kinds(lab.server.faults, 300, host="CAP1") == _kinds(expected, 300, host="CAP1")
    assert {"http_500", "drop", "drop_after"} <= set(_kinds(lab.server.faults, 300, host="DC1"))


@pytest.mark.parametrize("rate", ["0", "1.5", "-0.2", "nan"])
def test_serve_refuses_a_fault_rate_that_is_not_a_probability(rate: str) -> None:
    """`lab serve --fault-rate` outside (0, 1] exits with a usage error naming the option."""
    result = CliRunner().invoke(app, ["serve", "--fault-rate", rate], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "--fault-rate" in result.output
    assert "0 < RATE <= 1" in result.output
