"""Fixtures: one real MIT KDC per test module (realm CONTOSO.COM), and Kerberos logons to it.

The Kerberos library reads KRB5_CONFIG and KRB5_KTNAME from the process environment, so they are
set per test with monkeypatch and never leak into other tests: a process can use one lab realm at
a time, and the lab will need one configuration per process. Modules that log on use
`pytestmark = pytest.mark.usefixtures("realm_environment")`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import spnego

from orchestrator.lab.contract import SecureString
from orchestrator.lab.domain.lockout import LockoutPolicy
from orchestrator.lab.harness import RunningLab
from orchestrator.lab.kerberos import Kdc

from .winrm import start_lab

THRESHOLD = 3
HOST = "wks001.contoso.com"
# Every password the tests use carries this marker, so a leak anywhere is found by one search.
CANARY = "c4nary"
_serial = itertools.count()


@pytest.fixture(scope="module")
def kdc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kdc]:
    """A started KDC for contoso.com locking out after 3 failures until unlocked, with
    HTTP/wks001.contoso.com's keys in its keytab."""
    policy = LockoutPolicy(
        threshold=THRESHOLD, observation_window=timedelta(minutes=30), duration=timedelta(0)
    )
    with Kdc("contoso.com", tmp_path_factory.mktemp("kdc"), policy) as started:
        started.export_keytab(started.add_services(["wks001"]))
        yield started


@pytest.fixture
def realm_environment(kdc: Kdc, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test's process talks to the module's realm (KRB5_CONFIG, KRB5_KTNAME), then no more."""
    for name, value in kdc.client_environment().items():
        monkeypatch.setenv(name, value)


def password(text: str = "") -> SecureString:
    """A fresh password with awkward characters, carrying the canary."""
    return SecureString(f'{CANARY}-{next(_serial)}! "q" {text}')


@dataclass
class User:
    """A user principal made for one test, and its current password."""

    name: str
    password: SecureString


@pytest.fixture
def user(kdc: Kdc) -> User:
    """A new user principal under the lockout policy, unique to the test."""
    made = User(f"user{next(_serial)}", password())
    kdc.add_user(made.name, made.password)
    return made


@dataclass
class Session:
    """Both ends of a completed Kerberos exchange."""

    client: spnego.ContextProxy
    server: spnego.ContextProxy


def logon(name: str, secret: SecureString, host: str = HOST) -> Session:
    """A pyspnego client logging on with a password (no kinit) to HTTP/<host>, and a pyspnego
    acceptor with the realm's keytab completing the exchange."""
    client = spnego.client(
        name, secret.reveal(), hostname=host, service="HTTP", protocol="kerberos"
    )
    server = spnego.server(hostname=host, service="HTTP", protocol="kerberos")
    token = client.step()
    assert token is not None
    answer = server.step(token)
    if answer is not None:
        client.step(answer)
    assert client.complete
    assert server.complete
    return Session(client, server)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[RunningLab]:
    """A Kerberos lab over HTTP, stopped after the test."""
    running = start_lab(tmp_path)
    yield running
    running.stop()
