"""Authentication as Windows does it: Basic, NTLM and Negotiate with sealing, HTTPS with CBT,
and every failure counted by the domain's lockout policy."""

from __future__ import annotations

from typing import Any

import pytest
from pypsrp.exceptions import AuthenticationError, WinRMTransportError
from pypsrp.powershell import PowerShell, RunspacePool

from orchestrator.lab.contract import AuthOutcome
from orchestrator.lab.server import LabServer

from .conftest import ALICE, ClientFactory, connect
from .fakes import FakeBackend


def _guest_name(wsman: Any) -> str:
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-LocalUser").add_parameter("Name", "Guest")
        (user,) = ps.invoke()
        return str(user)


def test_basic_over_http(client: ClientFactory) -> None:
    """Basic over plain HTTP (encryption never) opens a pool and runs a cmdlet."""
    assert _guest_name(client(auth="basic")) == "Guest"


@pytest.mark.parametrize("auth", ["ntlm", "negotiate"])
def test_sealed_over_http(lab: LabServer, client: ClientFactory, auth: str) -> None:
    """NTLM and Negotiate over HTTP run sealed (MS-WSMV encryption) on one keep-alive connection."""
    assert _guest_name(client(auth=auth)) == "Guest"
    snapshot = lab.counters.snapshot()
    assert snapshot.tcp_connections == 1
    assert snapshot.soap_requests("Create") == 1
    # priming POST + NEGOTIATE + AUTHENTICATE legs, then Create, Receive, Command, Receive, ...
    assert snapshot.http_requests >= 3 + snapshot.soap_requests()


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_https_validates_against_written_ca(tls_lab: LabServer, auth: str) -> None:
    """Over HTTPS the client validates the server against the CA file the lab wrote (NTLM with CBT)."""
    assert tls_lab.ca_path is not None
    assert tls_lab.ca_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    with connect(tls_lab, auth=auth) as wsman:
        assert _guest_name(wsman) == "Guest"


def test_ntlm_over_https_without_channel_binding_is_refused(
    tls_lab: LabServer, backend: FakeBackend
) -> None:
    """Over HTTPS a client sending no channel binding is refused, without a bad-password count."""
    wsman = connect(tls_lab, auth="ntlm", negotiate_send_cbt=False)
    with wsman, pytest.raises(AuthenticationError):
        RunspacePool(wsman).open()
    assert backend.logons == []
    assert tls_lab.counters.snapshot().auth_failures == {"LAB\\alice": 1}


@pytest.mark.parametrize(("auth", "legs"), [("basic", 1), ("ntlm", 3), ("negotiate", 3)])
def test_wrong_password_fails_after_one_handshake(
    lab: LabServer, client: ClientFactory, backend: FakeBackend, auth: str, legs: int
) -> None:
    """A wrong password is AuthenticationError after one handshake, and the domain counts one failure."""
    with pytest.raises(AuthenticationError):
        RunspacePool(client(auth=auth, credentials=("LAB\\alice", "wrong"))).open()
    snapshot = lab.counters.snapshot()
    assert snapshot.http_requests == legs
    assert snapshot.auth_failures == {"LAB\\alice": 1}
    assert backend.logons == [("dc01", "LAB\\alice", AuthOutcome.BAD_PASSWORD)]
    assert backend.users["lab\\alice"].bad_count == 1


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_locked_account_is_refused_with_the_right_password(
    client: ClientFactory, backend: FakeBackend, auth: str
) -> None:
    """After the threshold of failures the account is locked: the right password then gets 401."""
    for _ in range(backend.threshold):
        with pytest.raises(AuthenticationError):
            RunspacePool(client(auth=auth, credentials=("LAB\\alice", "wrong"))).open()
    assert backend.users["lab\\alice"].locked
    with pytest.raises(AuthenticationError):
        RunspacePool(client(auth=auth, credentials=ALICE)).open()
    assert backend.logons[-1] == ("dc01", "LAB\\alice", AuthOutcome.LOCKED)


def test_ntlm_follows_a_password_changed_at_run_time(
    client: ClientFactory, backend: FakeBackend
) -> None:
    """NTLM checks the domain's current password: after a change the old one fails, the new one works."""
    assert _guest_name(client(auth="ntlm")) == "Guest"
    backend.set_password("LAB", "alice", "N3w-pass!")
    with pytest.raises(AuthenticationError):
        RunspacePool(client(auth="ntlm", credentials=ALICE)).open()
    assert _guest_name(client(auth="ntlm", credentials=("LAB\\alice", "N3w-pass!"))) == "Guest"


@pytest.mark.parametrize(
    "user", ["alice", "LAB\\alice", "SRV01\\Administrator", ".\\Administrator"]
)
def test_ntlm_user_name_forms(client: ClientFactory, backend: FakeBackend, user: str) -> None:
    """NTLM accepts DOMAIN\\user, a bare user, and a local account as HOST\\user or .\\user."""
    password = "srv01-Adm1n" if "Administrator" in user else ALICE[1]
    assert _guest_name(client("srv01", auth="ntlm", credentials=(user, password))) == "Guest"
    assert backend.logons[-1] == ("srv01", user, AuthOutcome.OK)


def test_password_with_colons_works_over_ntlm(client: ClientFactory) -> None:
    """A password containing ':' still authenticates (credentials are stored as NT hashes)."""
    assert _guest_name(client(auth="ntlm", credentials=("LAB\\bob", "B0b:with:colons"))) == "Guest"


def test_unknown_user_is_refused_and_reported(client: ClientFactory, backend: FakeBackend) -> None:
    """An unknown user gets 401 and the domain hears of the attempt (NO_SUCH_USER)."""
    with pytest.raises(AuthenticationError):
        RunspacePool(client(auth="ntlm", credentials=("LAB\\mallory", "x"))).open()
    assert backend.logons == [("dc01", "LAB\\mallory", AuthOutcome.NO_SUCH_USER)]


def test_local_account_of_another_host_is_refused(client: ClientFactory) -> None:
    """A host's local Administrator cannot log on to another host with its password."""
    with pytest.raises(AuthenticationError):
        RunspacePool(
            client("dc01", auth="ntlm", credentials=("SRV01\\Administrator", "srv01-Adm1n"))
        ).open()


def test_secrets_never_reach_counters_or_logs(
    lab: LabServer, client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong password appears in no counter, exception text or output."""
    with pytest.raises(AuthenticationError) as failure:
        RunspacePool(client(auth="basic", credentials=("LAB\\alice", "Sup3r-s3cret"))).open()
    captured = capsys.readouterr()
    assert "Sup3r-s3cret" not in str(failure.value) + captured.out + captured.err
    assert "Sup3r-s3cret" not in repr(lab.counters.snapshot())


class _BrokenBackend(FakeBackend):
    """A backend whose Basic logon crashes, with the password in its exception text."""

    def authenticate(self, host: str, username: str, password: str) -> AuthOutcome:
        raise RuntimeError(f"backend bug while checking {password}")


def test_a_backend_crash_is_500_and_leaks_no_password(capsys: pytest.CaptureFixture[str]) -> None:
    """A crashing backend makes the request a 500; the log names the error, never the password."""
    with (
        LabServer(_BrokenBackend()) as server,
        connect(server) as wsman,
        pytest.raises(WinRMTransportError) as failure,
    ):
        RunspacePool(wsman).open()
    assert failure.value.code == 500
    captured = capsys.readouterr()
    assert "lab.http.internal_error" in captured.out + captured.err
    assert ALICE[1] not in captured.out + captured.err
