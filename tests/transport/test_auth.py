"""Authentication: each scheme the lab offers, and a wrong password tried exactly once."""

from __future__ import annotations

import pytest

from orchestrator.commands import Command
from orchestrator.errors import AuthError, TransientError, TransportError
from orchestrator.inventory.model import Auth, Encryption, Scheme
from orchestrator.secrets import Secret
from orchestrator.transport.psrp import PsrpTransport

from .conftest import ClientFactory

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("auth", "tls", "encryption"),
    [
        (Auth.NTLM, False, Encryption.AUTO),  # sealed over HTTP
        (Auth.NEGOTIATE, False, Encryption.AUTO),  # SPNEGO(NTLM), sealed
        (Auth.BASIC, True, Encryption.AUTO),  # TLS only
        (Auth.NTLM, True, Encryption.ALWAYS),  # channel binding, sealed inside TLS
    ],
)
def test_each_auth_scheme_runs_commands(
    lab_client: ClientFactory, auth: Auth, tls: bool, encryption: Encryption
) -> None:
    """The inventory's auth and encryption reach pypsrp unchanged, and commands run."""
    client = lab_client(tls=tls, connection={"auth": auth, "encryption": encryption})
    assert client.host("DC1").connection.scheme is (Scheme.HTTPS if tls else Scheme.HTTP)
    assert client.run("DC1", "Get-ADDomain").outputs[0]["NetBIOSName"] == "CONTOSO"


def test_preflight_opens_the_pool_once(lab_client: ClientFactory) -> None:
    """authenticate() opens the pool; the commands that follow reuse it."""
    client = lab_client()
    client.connector.authenticate(client.host("SITE1"))
    assert client.counters().soap_requests("Create", "SITE1") == 1
    client.connector.authenticate(client.host("SITE1"))
    assert client.run("SITE1", "Get-CMClientStatusSummary").ok
    assert client.counters().soap_requests("Create", "SITE1") == 1


def test_wrong_password_is_one_attempt_and_no_lockout(lab_client: ClientFactory) -> None:
    """A wrong password is AuthError (not transient) after one logon; the account is not locked."""
    client = lab_client()
    user = client.login[0]
    transport = PsrpTransport(client.host("DC1"), (user, Secret("not-the-password")))
    with pytest.raises(AuthError) as failure:
        transport.open()
    assert not isinstance(failure.value, TransientError)
    assert failure.value.where.host == "DC1"
    for _ in range(3):  # a careless caller retrying must not reach the host again
        with pytest.raises(AuthError, match="not contacted again"):
            transport.run(Command.of("Get-ADDomain"))
    assert client.counters().auth_failures == {user: 1}
    account = client.lab.backend.ad_account(user.split("\\")[1])
    assert account is not None
    assert (account.bad_pwd_count, account.locked_out) == (1, False)
    assert client.counters().soap_requests() == 0


def test_host_without_resolved_password_fails_without_contact(lab_client: ClientFactory) -> None:
    """A host whose credential has no resolved password fails before any request is sent."""
    client = lab_client()
    transport = PsrpTransport(client.host("DC1"), None)
    with pytest.raises(TransportError, match="no password was resolved") as failure:
        transport.run(Command.of("Get-ADDomain"))
    assert not isinstance(failure.value, TransientError | AuthError)
    assert client.counters().http_requests == 0
