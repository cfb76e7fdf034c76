"""What a step costs on the wire: the HTTP requests per pipeline, counted by the lab (issue 13).

Counts, not times: which requests the transport sends is a property of its protocol use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests.utils

from orchestrator.commands import Command
from orchestrator.errors import ConnectError
from orchestrator.transport.psrp.pipeline import UNSIGNALLED_PER_POOL

from .conftest import ClientFactory

pytestmark = pytest.mark.e2e

PROBE = Command.of("Get-LocalUser", Name="Guest")
NTLM_LEGS = 3  # per connection: pypsrp's empty priming POST, NTLM negotiate, authenticate
POOL_OPEN_RECEIVES = 1  # the lab sends the pool's opening messages in one Receive (Windows: 2)


def test_a_probe_costs_one_command_and_one_receive(lab_client: ClientFactory) -> None:
    """Five probes on one pool: Create, the pool's Receive, then Command + Receive each, no
    Signal; closing adds the Delete. 13 SOAP requests for 5 steps (2.6 per step)."""
    client = lab_client()
    transport = client.transport("CAP1")
    for _ in range(5):
        assert transport.run(PROBE).ok
    transport.close()
    counts = client.counters()
    soap = {a: counts.soap_requests(a, "CAP1") for a in ("Create", "Receive", "Command")}
    assert soap == {"Create": 1, "Receive": POOL_OPEN_RECEIVES + 5, "Command": 5}
    assert counts.soap_requests("Signal") == 0
    assert counts.soap_requests("Delete", "CAP1") == 1
    assert counts.soap_requests() == 13
    assert counts.http_requests == 13 + NTLM_LEGS


def test_the_pool_is_renewed_before_windows_quota(lab_client: ClientFactory) -> None:
    """After UNSIGNALLED_PER_POOL unsignalled pipelines the pool is deleted (releasing them all
    on the host) and another opened over the same connection: no new logon, one shell open."""
    client = lab_client()
    transport = client.transport("CAP1")
    for _ in range(UNSIGNALLED_PER_POOL + 1):
        assert transport.run(PROBE).ok
    counts = client.counters()
    assert counts.soap_requests("Create", "CAP1") == 2
    assert counts.soap_requests("Delete", "CAP1") == 1
    assert counts.soap_requests("Signal") == 0
    assert counts.open_shells["CAP1"] == 1
    assert counts.tcp_connections == 1
    assert counts.http_requests - counts.soap_requests() == NTLM_LEGS


def test_unsignalled_pipelines_leave_the_pool_usable(lab_client: ClientFactory) -> None:
    """The lab behaves as the recorded Windows servers do for what the transport relies on: a
    pool holding finished, unsignalled pipelines runs the next one, and its Delete frees it."""
    client = lab_client()
    transport = client.transport("DC1")
    results = [transport.run(Command.of("Get-ADDomain")) for _ in range(3)]
    assert all(r.ok and r.outputs for r in results)
    assert client.counters().open_shells["DC1"] == 1
    transport.close()
    assert client.counters().open_shells.get("DC1", 0) == 0


def test_no_environment_proxy_lookup_per_request(
    lab_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests reads no proxy settings from the environment per request (trust_env off), and
    an environment proxy is not used: the inventory decides."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    lookups = _count_calls(monkeypatch, requests.utils, "should_bypass_proxies")
    lookups_env = _count_calls(monkeypatch, requests.utils, "get_environ_proxies")
    client = lab_client()
    transport = client.transport("CAP1")
    transport.open()
    after_open = (lookups(), lookups_env())
    for _ in range(5):
        assert transport.run(PROBE).ok
    assert (lookups(), lookups_env()) == after_open
    assert after_open[0] <= 1  # at most once, when the session is built


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Callable[[], int]:
    original = getattr(module, name)
    calls = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return lambda: calls


def test_the_inventory_proxy_carries_every_request(lab_client: ClientFactory) -> None:
    """With `proxy` set, the preflight and the session both go to the proxy (here a closed
    port: ConnectError), and nothing reaches the host directly."""
    client = lab_client(connection={"proxy": "http://127.0.0.1:9"})
    host = client.host("CAP1")
    with pytest.raises(ConnectError):
        client.connector.reachable(host)
    with pytest.raises(ConnectError):
        client.transport("CAP1").open()
    assert client.counters().http_requests == 0
