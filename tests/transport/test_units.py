"""The transport's pure parts: settings from the inventory, error translation, wire values."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError
from pypsrp.powershell import RunspacePool
from pypsrp.wsman import WSMan

from orchestrator.commands import Command
from orchestrator.errors import (
    AuthError,
    ConnectError,
    OperationTimeout,
    ServerError,
    TransportError,
)
from orchestrator.inventory.model import Auth, Connection, Encryption, Host, Scheme
from orchestrator.secrets import Secret
from orchestrator.transport.psrp import PsrpTransport
from orchestrator.transport.psrp.errors import translate
from orchestrator.transport.psrp.pipeline import wire_value
from orchestrator.transport.psrp.records import category_name
from orchestrator.transport.psrp.settings import build_wsman, settings_for

LOGIN = ("CONTOSO\\admin", Secret("Pa55-not-shown", "admin"))


def _host(**connection: Any) -> Host:
    settings: dict[str, Any] = {"credential": "admin", **connection}
    return Host("dc1", "dc1.contoso.com", Connection(**settings), vars={"site_code": "TB1"})


def test_settings_carry_every_connection_field(tmp_path: Path) -> None:
    """Scheme, port, path, auth, timeouts and encryption map onto WSMan's arguments."""
    host = _host(scheme=Scheme.HTTP, port=5985, path="/wsman", auth=Auth.NTLM,
                 read_timeout=timedelta(seconds=45), encryption=Encryption.ALWAYS)  # fmt: skip
    settings = settings_for(host, LOGIN, tmp_path)
    assert (settings.server, settings.port, settings.path, settings.ssl) == (
        "dc1.contoso.com", 5985, "wsman", False,
    )  # fmt: skip
    assert (settings.connection_timeout, settings.read_timeout, settings.operation_timeout) == (
        30.0, 45.0, 20.0,
    )  # fmt: skip
    assert (settings.auth, settings.encryption, settings.username) == (
        Auth.NTLM, "always", "CONTOSO\\admin",
    )  # fmt: skip
    wsman = build_wsman(settings)
    assert wsman.transport.endpoint == "http://dc1.contoso.com:5985/wsman"
    assert (wsman.transport.reconnection_retries, wsman.transport.read_timeout) == (0, 45.0)
    assert "Pa55" not in repr(settings)


@pytest.mark.parametrize("written", ["ca.pem", "inv/ca.pem"])
def test_ca_bundle_is_read_relative_to_the_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    """A relative CA path is the inventory directory's, whether or not the loader joined it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    settings = settings_for(_host(cert_validation=Path(written)), LOGIN, Path("inv"))
    assert settings.cert_validation == tmp_path / "inv" / "ca.pem"


def test_missing_ca_bundle_is_refused(tmp_path: Path) -> None:
    """A CA bundle that is not a file is a TransportError naming it, before any connection."""
    with pytest.raises(TransportError, match="is not a file"):
        settings_for(_host(cert_validation=Path("nope.pem")), LOGIN, tmp_path)


def test_read_timeout_must_exceed_operation_timeout(tmp_path: Path) -> None:
    """read_timeout <= operation_timeout would turn every long-poll into a read timeout."""
    host = _host(read_timeout=timedelta(seconds=20), operation_timeout=timedelta(seconds=20))
    with pytest.raises(TransportError, match="read_timeout must be longer"):
        settings_for(host, LOGIN, tmp_path)


@pytest.mark.parametrize(("auth", "module", "extra"), [
    (Auth.KERBEROS, "gssapi", "pypsrp\\[kerberos\\]"),
    (Auth.CREDSSP, "requests_credssp", "pypsrp\\[credssp\\]"),
])  # fmt: skip
def test_auth_needing_extra_packages_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: Auth, module: str, extra: str
) -> None:
    """kerberos and credssp without their packages fail with the pip extra to install (the
    package is hidden here: the lab extra installs gssapi, for its KDC)."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == module else find_spec(name, *a),
    )
    with pytest.raises(TransportError, match=extra):
        settings_for(_host(auth=auth), LOGIN, tmp_path)


def test_certificate_auth_takes_pem_paths_from_host_vars(tmp_path: Path) -> None:
    """auth certificate reads certificate_pem/certificate_key_pem host vars, inventory-relative."""
    host = _host(auth=Auth.CERTIFICATE, credential=None)
    with pytest.raises(TransportError, match="certificate_pem, certificate_key_pem"):
        settings_for(host, None, tmp_path)
    host = replace(host, vars={"certificate_pem": "c.pem", "certificate_key_pem": "k.pem"})
    settings = settings_for(host, None, tmp_path)
    assert dict(settings.auth_options) == {
        "certificate_pem": str(tmp_path / "c.pem"), "certificate_key_pem": str(tmp_path / "k.pem"),
    }  # fmt: skip
    wsman = build_wsman(settings)
    assert wsman.transport.certificate_pem == str(tmp_path / "c.pem")


def test_impossible_combination_is_refused_without_contact(tmp_path: Path) -> None:
    """Basic over HTTP with sealing (pypsrp's ValueError) is a TransportError, not a crash."""
    host = _host(scheme=Scheme.HTTP, port=5985, auth=Auth.BASIC)
    with pytest.raises(TransportError, match="cannot connect as configured"):
        PsrpTransport(host, LOGIN, base_dir=tmp_path).run(Command.of("Get-Date"))


def test_repr_names_the_endpoint_not_the_password() -> None:
    """A transport's repr says where and as whom it connects, never with what password."""
    text = repr(PsrpTransport(_host(), LOGIN))
    assert (
        text
        == "PsrpTransport(dc1, https://dc1.contoso.com:5986/wsman, auth=negotiate, user='CONTOSO\\\\admin')"
    )


@pytest.mark.parametrize(("exc", "expected"), [
    (AuthenticationError("Failed to authenticate the user x with ntlm"), AuthError),
    (WinRMTransportError("http", 401, ""), AuthError),
    (WinRMTransportError("http", 503, ""), ConnectError),
    (WinRMTransportError("http", 500, ""), ServerError),
    (WinRMTransportError("http", 504, ""), ServerError),
    (WinRMTransportError("http", 400, ""), TransportError),
    (WSManFaultError(5, "", "Access is denied.", "", "", ""), AuthError),
    (WSManFaultError(2150858793, "", "timed out", "", "", ""), OperationTimeout),
    (WSManFaultError(2150858843, "", "shell not found", "", "", ""), ConnectError),
    (WSManFaultError(2150858770, "", "other", "", "", ""), TransportError),
    (requests.exceptions.SSLError("bad cert"), ConnectError),
    (requests.exceptions.ConnectTimeout("slow"), ConnectError),
    (requests.exceptions.ConnectionError("refused"), ConnectError),
    (requests.exceptions.ReadTimeout("slow"), OperationTimeout),
    (requests.exceptions.TooManyRedirects("loop"), TransportError),
])  # fmt: skip
def test_translation_table(exc: BaseException, expected: type[TransportError]) -> None:
    """Each pypsrp/requests exception becomes exactly the error class the table in transport/psrp/errors.py gives."""
    error = translate(exc, "dc1")
    assert type(error) is expected
    assert error.where.host == "dc1"
    assert str(error).startswith("dc1: ")


def test_category_names() -> None:
    """ErrorCategory numbers are named as PowerShell names them."""
    assert [category_name(n) for n in (0, 13, 31)] == [
        "NotSpecified",
        "ObjectNotFound",
        "NotEnabled",
    ]
    assert category_name(None) == "NotSpecified"


def test_wire_values() -> None:
    """None is $null (not a switch), big ints are Int64, floats Double; other types are refused."""
    pool = RunspacePool(WSMan("dc1.contoso.com"))  # no connection is made
    nil = wire_value(pool, None)
    assert isinstance(nil, ET.Element)
    assert nil.tag == "Nil"
    assert wire_value(pool, 5) == 5
    assert wire_value(pool, 2**40).tag == "I64"
    assert wire_value(pool, 1.5).tag == "Db"
    assert wire_value(pool, (1, "a", True)) == [1, "a", True]
    with pytest.raises(TypeError, match="datetime"):
        wire_value(pool, datetime(2000, 1, 1, tzinfo=UTC))


def test_typed_collections_keep_their_items() -> None:
    """An <Obj> wrapping a <LST> (AD's value collections) becomes a list, not an empty object."""
    from pypsrp.serializer import Serializer

    from orchestrator.transport.psrp.values import plain_value

    xml = (
        '<Obj RefId="0"><TN RefId="0"><T>Microsoft.ActiveDirectory.Management.ADPropertyValueCollection</T>'
        "<T>System.Collections.CollectionBase</T><T>System.Object</T></TN>"
        "<LST><S>CN=Partitions,CN=Configuration,DC=contoso,DC=com</S></LST></Obj>"
    )
    assert plain_value(Serializer().deserialize(xml)) == [
        "CN=Partitions,CN=Configuration,DC=contoso,DC=com"
    ]
