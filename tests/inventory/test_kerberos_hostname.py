"""`kerberos_hostname`: the name of a host's HTTP/<name> service principal when its address is
not that name (issue 14); loaded, checked, inherited from a group, and given to pypsrp."""

from __future__ import annotations

from pathlib import Path

from pypsrp.wsman import WSMan

from orchestrator.transport.psrp.settings import build_wsman, settings_for
from tests.inventory.helpers import load, problems

INVENTORY = """\
all:
  vars: {}
  children:
    dcs:
      kerberos_hostname: dc1.contoso.com
      hosts:
        dc1: {address: 10.0.0.10}
  hosts:
    cap1: {address: 10.0.0.20, kerberos_hostname: cap1.contoso.com}
    wks1: {address: wks1.contoso.com}
"""


def test_it_is_loaded_inherited_and_defaults_to_none(tmp_path: Path) -> None:
    inventory = load(tmp_path, INVENTORY)
    names = {
        name: host.connection.kerberos_hostname
        for name in ("dc1", "cap1", "wks1")
        if (host := inventory.host(name)) is not None
    }
    assert names == {"dc1": "dc1.contoso.com", "cap1": "cap1.contoso.com", "wks1": None}


def test_a_url_is_refused_with_the_field_named(tmp_path: Path) -> None:
    text = INVENTORY.replace("cap1.contoso.com}", "http://cap1.contoso.com}")
    found = problems(tmp_path, text)
    assert any(p.field == "all.hosts.cap1.kerberos_hostname" for p in found), found


def test_pypsrp_asks_for_the_ticket_of_that_name(tmp_path: Path) -> None:
    """negotiate_hostname_override carries it; a host without one leaves pypsrp's default."""
    inventory = load(tmp_path, INVENTORY)
    cap1, wks1 = inventory.host("cap1"), inventory.host("wks1")
    assert cap1 is not None
    assert wks1 is not None
    wsman = build_wsman(settings_for(cap1, None, tmp_path))
    assert _override(wsman) == "cap1.contoso.com"
    assert wsman.transport.server == "10.0.0.20"
    assert _override(build_wsman(settings_for(wks1, None, tmp_path))) is None


def _override(wsman: WSMan) -> object:
    """What pypsrp's transport keeps of its negotiate_hostname_override argument (it sets its
    auth keyword arguments as attributes, wsman.py)."""
    return getattr(wsman.transport, "negotiate_hostname_override")  # noqa: B009 -- untyped
