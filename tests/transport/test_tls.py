"""HTTPS: the certificate validated against the inventory's CA bundle, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import ConnectError, TransientError
from orchestrator.lab.http import tls

from .conftest import ClientFactory

pytestmark = pytest.mark.e2e


def test_lab_ca_from_the_inventory_validates(lab_client: ClientFactory) -> None:
    """The CA path the inventory gives (relative to it) validates the lab's certificate."""
    client = lab_client(tls=True)
    validation = client.host("DC1").connection.cert_validation
    assert isinstance(validation, Path)
    assert client.run("DC1", "Get-ADDomain").outputs[0]["NetBIOSName"] == "CONTOSO"


def test_wrong_ca_is_connect_error(lab_client: ClientFactory, tmp_path: Path) -> None:
    """A certificate that the configured CA did not sign fails as ConnectError, over TLS only."""
    other_ca = tls.generate(tmp_path / "other").ca_path
    client = lab_client(tls=True, connection={"cert_validation": other_ca})
    with pytest.raises(ConnectError, match="TLS") as failure:
        client.connector.authenticate(client.host("DC1"))
    assert isinstance(failure.value, TransientError)
    assert client.counters().http_requests == 0


def test_validation_off_accepts_any_certificate(lab_client: ClientFactory) -> None:
    """cert_validation false connects without checking (and without a warning turned error)."""
    client = lab_client(tls=True, connection={"cert_validation": False})
    assert client.run("DC1", "Get-ADDomain").ok
