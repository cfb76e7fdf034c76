"""`kerberos: {config: PATH}`: the krb5.conf a command uses instead of the system's (issue 14),
read from the inventory's directory, checked at load, in force while the connector lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.transport.psrp import PsrpConnector
from orchestrator.transport.psrp.krb5_config import VARIABLE
from tests.inventory.helpers import load, problems

INVENTORY = """\
kerberos: {config: realm/krb5.conf}
all:
  auth: kerberos
  hosts:
    dc1: {address: dc1.contoso.com}
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "realm" / "krb5.conf"
    path.parent.mkdir()
    path.write_text("[libdefaults]\n  default_realm = CONTOSO.COM\n")
    return path


def test_the_path_is_read_from_the_inventorys_directory(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert load(tmp_path, INVENTORY).kerberos_config == config.resolve()


def test_without_it_the_systems_configuration_is_used(tmp_path: Path) -> None:
    assert (
        load(
            tmp_path, INVENTORY.replace("kerberos: {config: realm/krb5.conf}\n", "")
        ).kerberos_config
        is None
    )


def test_a_missing_file_is_named_with_its_line(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, INVENTORY)
    assert problem.field == "kerberos.config"
    assert "no Kerberos configuration at" in problem.message
    assert problem.location is not None
    assert problem.location.line == 1


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    _config(tmp_path)
    found = problems(tmp_path, INVENTORY.replace("{config:", "{conf: x, config:"))
    assert any(p.field.startswith("kerberos") for p in found), found


def test_the_connector_sets_it_while_it_lives_then_puts_back_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    monkeypatch.setenv(VARIABLE, "/etc/other-krb5.conf")
    connector = PsrpConnector(load(tmp_path, INVENTORY), {})
    assert os.environ[VARIABLE] == str(config.resolve())
    connector.close_all()
    assert os.environ[VARIABLE] == "/etc/other-krb5.conf"
