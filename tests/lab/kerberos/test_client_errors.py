"""The orchestrator's reading of a real KDC's refusals: the exceptions pyspnego raises against
the lab's MIT KDC (as inside pypsrp's HTTP authentication) become our errors with what to do,
and never show the password."""

from __future__ import annotations

from pathlib import Path

import pytest
import spnego

from orchestrator.errors import AuthError, TransportError
from orchestrator.lab.contract import SecureString
from orchestrator.lab.kerberos import Kdc
from orchestrator.transport.psrp.errors import translate
from tests.kinit import kinit

from .conftest import CANARY, THRESHOLD, User, logon, password

pytestmark = pytest.mark.usefixtures("realm_environment")


def _refused(name: str, secret: SecureString, host: str = "wks001.contoso.com") -> TransportError:
    with pytest.raises(Exception) as caught:  # noqa: PT011 -- whatever the library raises
        logon(name, secret, host)
    error = translate(caught.value, "wks001")
    assert CANARY not in str(error)
    return error


def test_a_wrong_password_is_an_auth_error_saying_so(user: User) -> None:
    error = _refused(user.name, password("wrong"))
    assert type(error) is AuthError
    assert "refused the password" in str(error)


def test_a_locked_account_is_an_auth_error_saying_to_unlock_it(kdc: Kdc, user: User) -> None:
    for _ in range(THRESHOLD):
        _refused(user.name, password("wrong"))
    error = _refused(user.name, user.password)
    assert type(error) is AuthError
    assert "locked out or disabled" in str(error)
    assert "Unlock-ADAccount" in str(error)


def test_an_unknown_user_is_an_auth_error_naming_the_realm_form(user: User) -> None:
    error = _refused(user.name + "x", user.password)
    assert type(error) is AuthError
    assert "user@REALM" in str(error)


def test_an_unknown_service_principal_fails_only_that_host(user: User) -> None:
    error = _refused(user.name, user.password, host="nosuchhost.contoso.com")
    assert type(error) is TransportError
    assert "SPN" in str(error)


def test_an_unreachable_kdc_is_an_auth_error_naming_port_88(
    kdc: Kdc, user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The realm's KDC at a port nobody listens on: no KDC answered."""
    closed = kdc.files.krb5_conf.read_text().replace(f":{kdc.port}", ":1")
    config = tmp_path / "krb5.conf"
    config.write_text(closed)
    monkeypatch.setenv("KRB5_CONFIG", str(config))
    error = _refused(user.name, user.password)
    assert type(error) is AuthError
    assert "no KDC of the realm answered" in str(error)
    assert "port 88" in str(error)


def _ticket_logon(host: str = "wks001.contoso.com") -> None:
    """What pypsrp does for a host without a credential: no user name, no password, the
    operator's ticket cache (KRB5CCNAME)."""
    client = spnego.client(None, None, hostname=host, service="HTTP", protocol="kerberos")
    assert client.step() is not None


def test_the_operators_own_ticket_logs_on_with_no_password_anywhere(
    kdc: Kdc, user: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket cache filled by a logon (kinit's job, done here with the krb5 library) is all
    a host without a credential needs."""
    cache = tmp_path / "krb5cc"
    kinit(f"{user.name}@{kdc.realm}", user.password.reveal(), cache)
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{cache}")
    _ticket_logon()


def test_no_ticket_cache_is_an_auth_error_saying_to_log_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'nobody'}")
    with pytest.raises(Exception) as caught:  # noqa: PT011 -- whatever the library raises
        _ticket_logon()
    error = translate(caught.value, "wks001")
    assert type(error) is AuthError
    assert "kinit" in str(error)
