"""A Kerberos lab (LabOptions(kerberos=True)): its KDC follows the domain, and unmodified pypsrp
logs on to its WinRM endpoint with Kerberos, over HTTP (sealed) and HTTPS (channel binding)."""

from __future__ import annotations

import base64
import http.client
import os
import ssl
from pathlib import Path

import krb5
import pytest
import spnego
from pypsrp.encryption import WinRMEncryption
from pypsrp.exceptions import AuthenticationError
from spnego.channel_bindings import GssChannelBindings

from orchestrator.lab.harness import LabOptions, RunningLab
from orchestrator.lab.kerberos import KdcError

from .winrm import (
    OPERATOR,
    OPERATOR_PASSWORD,
    PREAUTH_FAILED,
    REALM,
    close_responses,
    kdc_failures,
    run,
    start_lab,
    wsman,
)


@pytest.mark.parametrize(
    ("auth", "service"), [("kerberos", "host"), ("negotiate", "host"), ("kerberos", "HTTP")]
)
def test_pypsrp_opens_a_pool_and_runs_a_cmdlet_with_kerberos(
    lab: RunningLab, auth: str, service: str
) -> None:
    """auth=kerberos and auth=negotiate (SPNEGO) with user@REALM and a password, a ticket for
    host/dc1 (pypsrp's default service) or HTTP/dc1: the pool opens over sealed HTTP and
    Get-ADUser answers, as the ticket's client principal."""
    client = wsman(lab, auth=auth, negotiate_service=service)
    users = run(client, "Get-ADUser", Identity=OPERATOR)

    assert [u.adapted_properties["SamAccountName"] for u in users] == [OPERATOR]
    assert lab.realm is not None
    state = lab.realm.kdc.state(OPERATOR)
    assert state is not None
    assert state.last_success is not None  # the logon went through the KDC, not NTLM
    log = lab.realm.kdc.files.kdc_log.read_text("utf-8")
    assert f"for {service}/dc1.contoso.com@{REALM}" in log


def test_kerberos_over_https_with_channel_binding(tmp_path: Path) -> None:
    """Over HTTPS pypsrp binds the ticket to the lab's certificate, and the lab checks it."""
    lab = start_lab(tmp_path, tls=True)
    try:
        users = run(wsman(lab), "Get-ADUser", Identity=OPERATOR)
        assert len(users) == 1
    finally:
        lab.stop()


def test_over_https_a_ticket_bound_to_another_channel_is_refused(tmp_path: Path) -> None:
    """A ticket whose channel binding names another certificate (a relayed logon) is a 401."""
    lab = start_lab(tmp_path, tls=True)
    try:
        endpoint = lab.endpoints()["DC1"]
        other = GssChannelBindings(application_data=b"tls-server-end-point:" + bytes(32))
        client = spnego.client(
            f"{OPERATOR}@{REALM}",
            OPERATOR_PASSWORD,
            hostname="dc1.contoso.com",
            service="HTTP",
            protocol="kerberos",
            channel_bindings=other,
        )
        assert lab.server.ca_path is not None
        tls = ssl.create_default_context(cafile=str(lab.server.ca_path))
        connection = http.client.HTTPSConnection(
            endpoint.address, endpoint.port, timeout=10, context=tls
        )
        try:
            token = base64.b64encode(client.step() or b"").decode()
            connection.request("POST", endpoint.path, b"", {"Authorization": f"Kerberos {token}"})
            answer = connection.getresponse()
            answer.read()
        finally:
            connection.close()
        assert answer.status == 401
    finally:
        lab.stop()


def test_a_wrong_password_is_refused_by_the_kdc_and_counted_exactly_once(lab: RunningLab) -> None:
    """pypsrp raises krb5's error (pre-authentication failed); the KDC counts one failure."""
    assert kdc_failures(lab, OPERATOR) == 0

    with pytest.raises(krb5.Krb5Error) as caught:
        run(wsman(lab, password="not-the-password"), "Get-ADUser", Identity=OPERATOR)

    close_responses(caught.value)
    assert caught.value.err_code == PREAUTH_FAILED
    assert kdc_failures(lab, OPERATOR) == 1


def test_a_ticket_for_another_hosts_spn_is_refused(lab: RunningLab) -> None:
    """DC1 holds only HTTP/dc1's key: a ticket for HTTP/cap1 sent to DC1 is a 401."""
    with pytest.raises(AuthenticationError):
        run(wsman(lab, negotiate_hostname_override="cap1.contoso.com"), "Get-ADUser")


def test_a_kerberos_lab_still_takes_ntlm(lab: RunningLab) -> None:
    """A domain member accepts both: NTLM with CONTOSO\\labadmin works on the same endpoint."""
    client = wsman(lab, auth="ntlm", username=f"CONTOSO\\{OPERATOR}")

    assert len(run(client, "Get-ADUser", Identity=OPERATOR)) == 1


def test_the_kerberos_scheme_gets_its_ap_rep_and_kerberos_sealing(lab: RunningLab) -> None:
    """`Authorization: Kerberos <AP-REQ>` (as a client does when the server offers Kerberos
    alone): the 200 carries `WWW-Authenticate: Kerberos <AP-REP>`, and a sealed request gets a
    reply sealed as application/HTTP-Kerberos-session-encrypted that the client unwraps."""
    endpoint = lab.endpoints()["DC1"]
    client = spnego.client(
        f"{OPERATOR}@{REALM}",
        OPERATOR_PASSWORD,
        hostname="dc1.contoso.com",
        service="HTTP",
        protocol="kerberos",
        options=spnego.NegotiateOptions.wrapping_winrm,
    )
    connection = http.client.HTTPConnection(endpoint.address, endpoint.port, timeout=10)
    try:
        token = base64.b64encode(client.step() or b"").decode()
        connection.request("POST", endpoint.path, b"", {"Authorization": f"Kerberos {token}"})
        answer = connection.getresponse()
        answer.read()
        scheme, _, reply = answer.getheader("WWW-Authenticate", "").partition(" ")
        assert (answer.status, scheme) == (200, "Kerberos")
        client.step(base64.b64decode(reply))
        assert client.complete

        sealer = WinRMEncryption(client, WinRMEncryption.KERBEROS)
        kind, body = sealer.wrap_message(b"<not-soap/>")
        sealed = f'{kind};protocol="{WinRMEncryption.KERBEROS}";boundary="Encrypted Boundary"'
        connection.request("POST", endpoint.path, body, {"Content-Type": sealed})
        answer = connection.getresponse()
        content = answer.read()
    finally:
        connection.close()
    content_type = answer.getheader("Content-Type", "")
    assert f'protocol="{WinRMEncryption.KERBEROS}"' in content_type
    assert b"Fault" in sealer.unwrap_message(content, "Encrypted Boundary")


def test_the_challenge_offers_kerberos_only_on_a_kerberos_lab(lab: RunningLab) -> None:
    """401 without credentials: Negotiate, Kerberos and Basic (an NTLM-only lab: no Kerberos)."""
    endpoint = lab.endpoints()["DC1"]
    connection = http.client.HTTPConnection(endpoint.address, endpoint.port, timeout=10)
    try:
        connection.request("POST", endpoint.path, b"")
        answer = connection.getresponse()
        answer.read()
    finally:
        connection.close()
    offered = [v.split()[0] for k, v in answer.getheaders() if k == "WWW-Authenticate"]
    assert (answer.status, offered) == (401, ["Negotiate", "Kerberos", "Basic"])


def test_the_kdc_holds_the_domains_users_and_a_service_principal_per_host(
    lab: RunningLab,
) -> None:
    """Users in their exact case (RID 500 outside the lockout policy), HTTP/ and host/<host>.
    contoso.com for every host; the keytab holds the services' keys."""
    assert lab.realm is not None
    principals = lab.realm.kdc.principals()
    hosts = [name.lower() for name in lab.endpoints()]
    expected = {f"{s}/{host}.contoso.com@{REALM}" for host in hosts for s in ("HTTP", "host")}
    expected |= {f"{user}@{REALM}" for user in ("Administrator", OPERATOR, "SMSClient_TB1")}
    assert expected <= principals
    admin = lab.realm.kdc.state("Administrator")
    assert admin is not None
    assert admin.policy is None
    assert lab.realm.kdc.files.keytab.stat().st_size > 0


def test_the_environment_is_set_while_the_lab_runs_and_restored_after(tmp_path: Path) -> None:
    """KRB5_CONFIG/KRB5_KTNAME point at the lab's realm while it runs; after stop they are as
    before and krb5kdc is gone."""
    before = {name: os.environ.get(name) for name in ("KRB5_CONFIG", "KRB5_KTNAME")}
    lab = start_lab(tmp_path)
    assert lab.realm is not None
    kdc = lab.realm.kdc
    assert os.environ["KRB5_CONFIG"] == str(kdc.files.krb5_conf)
    assert kdc.running

    lab.stop()

    assert {name: os.environ.get(name) for name in before} == before
    assert not kdc.running


def test_a_second_kerberos_lab_in_the_same_process_is_refused(
    lab: RunningLab, tmp_path: Path
) -> None:
    """One realm per process: the second lab fails with what to do, and leaves nothing running
    (the first keeps working)."""
    with pytest.raises(KdcError, match=r"already runs the Kerberos lab realm CONTOSO\.COM"):
        start_lab(tmp_path / "second")

    assert lab.realm is not None
    assert os.environ["KRB5_CONFIG"] == str(lab.realm.kdc.files.krb5_conf)
    assert len(run(wsman(lab), "Get-ADUser", Identity=OPERATOR)) == 1


def test_an_ntlm_lab_starts_no_kdc() -> None:
    """kerberos=False (the default): no realm, nothing set in the environment."""
    lab = RunningLab(LabOptions(scenario="tb1-lockout", clients=1, manual_clock=True))
    assert LabOptions().kerberos is False
    with lab:
        assert lab.realm is None
