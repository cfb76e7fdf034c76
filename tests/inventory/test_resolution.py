"""Resolution once at load: precedence, defaults, merging, and where each value came from."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from orchestrator.errors import Location
from orchestrator.inventory import (
    Auth,
    Encryption,
    Host,
    Inventory,
    Origin,
    Role,
    Scheme,
    load_inventory,
)
from orchestrator.secrets import EnvSource, FileSource
from tests.inventory.helpers import EXAMPLE, MINIMAL, column_of, line_of, load

LAYERS = """\
all:
  vars: {level: all, only_all: a, group_and_all: a}
  port: 1001
  children:
    outer:
      vars: {level: outer, group_and_all: outer}
      port: 1002
      children:
        inner:
          vars: {level: inner}
          port: 1003
          hosts:
            h1:
              vars: {level: host}
              port: 1004
            h2: {}
"""


def _host(inventory: Inventory, name: str) -> Host:
    host = inventory.host(name)
    assert host is not None
    return host


def test_host_beats_deeper_group_beats_shallower_group_beats_all(tmp_path: Path) -> None:
    """A value set at several levels resolves to the most specific one."""
    inventory = load(tmp_path, LAYERS)
    h1, h2 = _host(inventory, "h1"), _host(inventory, "h2")
    assert h1.vars["level"] == "host"
    assert h2.vars["level"] == "inner"
    assert h2.vars["group_and_all"] == "outer"
    assert h2.vars["only_all"] == "a"
    assert (h1.connection.port, h2.connection.port) == (1004, 1003)


def test_origins_name_the_line_and_scope_of_the_winning_value(tmp_path: Path) -> None:
    """Each resolved value remembers the file:line and scope it came from."""
    inventory = load(tmp_path, LAYERS)
    h2 = _host(inventory, "h2")
    file = str(tmp_path / "inventory.yml")
    assert h2.origins["vars.level"] == Origin(
        Location(file, line_of(LAYERS, "level: inner"), column_of(LAYERS, "inner}")), "group inner"
    )
    assert h2.origins["vars.group_and_all"].scope == "group outer"
    assert h2.origins["vars.only_all"].scope == "all"
    assert h2.origins["port"].location == Location(
        file, line_of(LAYERS, "port: 1003"), column_of(LAYERS, "1003")
    )
    assert _host(inventory, "h1").origins["port"].scope == "host h1"


def test_groups_of_equal_depth_are_applied_by_name_later_wins(tmp_path: Path) -> None:
    """Between two groups at the same depth, the one whose name sorts later wins."""
    text = """\
    all:
      children:
        beta: {vars: {x: beta}, hosts: {h1: {}}}
        alpha: {vars: {x: alpha}, hosts: {h1: {}}}
    """
    h1 = _host(load(tmp_path, text), "h1")
    assert h1.vars["x"] == "beta"
    assert h1.origins["vars.x"].scope == "group beta"
    assert h1.groups == ("alpha", "beta")


def test_depth_beats_name(tmp_path: Path) -> None:
    """A deeper group wins over a shallower one even when its name sorts first."""
    text = """\
    all:
      children:
        zeta:
          vars: {x: zeta}
          children:
            alpha: {vars: {x: alpha}, hosts: {h1: {}}}
    """
    assert _host(load(tmp_path, text), "h1").vars["x"] == "alpha"


def test_depth_is_the_longest_path_from_all(tmp_path: Path) -> None:
    """A group listed both under all and deeper counts at its deepest place, as Ansible."""
    text = """\
    all:
      children:
        shared: {vars: {x: shared}}
        zz:
          vars: {x: zz}
          children:
            shared: {hosts: {h1: {}}}
    """
    h1 = _host(load(tmp_path, text), "h1")
    assert h1.vars["x"] == "shared"
    assert h1.groups == ("zz", "shared")


def test_defaults_and_their_origins(tmp_path: Path) -> None:
    """Unset settings take the documented defaults, recorded as `default`."""
    host = _host(load(tmp_path, "all:\n  hosts: {dc1: {}}\n"), "dc1")
    conn = host.connection
    assert host.address == "dc1"
    assert (conn.scheme, conn.port, conn.path) == (Scheme.HTTPS, 5986, "/wsman")
    assert (conn.auth, conn.cert_validation, conn.encryption) == (
        Auth.NEGOTIATE,
        True,
        Encryption.AUTO,
    )
    assert conn.credential is None
    assert (conn.connection_timeout, conn.read_timeout, conn.operation_timeout) == (
        timedelta(seconds=30),
        timedelta(seconds=30),
        timedelta(seconds=20),
    )
    assert host.origins["address"] == Origin(None, "default")
    assert host.origins["port"] == Origin(None, "default for https")
    assert host.origins["path"] == Origin(None, "default")


def test_http_scheme_changes_the_default_port(tmp_path: Path) -> None:
    """With scheme http and no port, the port is 5985, from the default for http."""
    text = "all:\n  children:\n    lab: {scheme: http, hosts: {h1: {}}}\n"
    host = _host(load(tmp_path, text), "h1")
    assert host.connection.port == 5985
    assert host.origins["port"] == Origin(None, "default for http")
    assert host.origins["scheme"].scope == "group lab"


def test_settings_convert_to_typed_values(tmp_path: Path) -> None:
    """Durations become timedeltas, choices Enums, a CA bundle a path beside the inventory."""
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "root.pem").write_text("-----BEGIN CERTIFICATE-----\n")  # must exist
    text = """\
    all:
      hosts:
        h1:
          auth: kerberos
          encryption: always
          cert_validation: ca/root.pem
          read_timeout: 2m
          operation_timeout: 90s
    """
    conn = _host(load(tmp_path, text), "h1").connection
    assert conn.auth is Auth.KERBEROS
    assert conn.encryption is Encryption.ALWAYS
    assert conn.cert_validation == tmp_path / "ca" / "root.pem"
    assert conn.read_timeout == timedelta(minutes=2)
    assert conn.operation_timeout == timedelta(seconds=90)


def test_host_in_several_groups_merges_and_roles_add_up(tmp_path: Path) -> None:
    """A host written under two groups gets both groups' roles and both places' settings."""
    text = """\
    all:
      children:
        domain_controllers:
          roles: [domain_controller]
          hosts:
            dc1: {address: dc1.tb1.example.com}
        caps:
          roles: [cap_server]
          hosts:
            dc1: {port: 5999, roles: [client]}
    """
    dc1 = _host(load(tmp_path, text), "dc1")
    assert dc1.address == "dc1.tb1.example.com"
    assert dc1.connection.port == 5999
    assert dc1.roles == {Role.DOMAIN_CONTROLLER, Role.CAP_SERVER, Role.CLIENT}
    assert dc1.origins["roles.cap_server"].scope == "group caps"
    assert dc1.origins["roles.client"].scope == "host dc1"
    assert dc1.groups == ("caps", "domain_controllers")


def test_same_value_in_two_places_is_not_a_conflict(tmp_path: Path) -> None:
    """Writing a host's identical value twice is accepted (the first place is its origin)."""
    text = """\
    all:
      children:
        a: {hosts: {h1: {port: 5986}}}
        b: {hosts: {h1: {port: 5986}}}
    """
    h1 = _host(load(tmp_path, text), "h1")
    assert h1.connection.port == 5986
    first = Location(str(tmp_path / "inventory.yml"), 3, column_of(text, "5986"))
    assert h1.origins["port"].location == first


def test_a_mapping_var_is_replaced_not_merged(tmp_path: Path) -> None:
    """A host's mapping var replaces the group's whole mapping, as Ansible's default."""
    text = """\
    all:
      vars: {share: {name: CAP_TB1, path: 'D:\\CAP'}}
      hosts:
        h1: {vars: {share: {name: OTHER}}}
    """
    assert _host(load(tmp_path, text), "h1").vars["share"] == {"name": "OTHER"}


def test_hosts_are_in_file_order_and_groups_hold_their_childrens_hosts(tmp_path: Path) -> None:
    """Hosts keep their first appearance's order; a group's hosts include its children's."""
    text = """\
    all:
      children:
        servers:
          hosts: {s2: {}}
          children:
            caps: {hosts: {c1: {}, s2: {}}}
        clients: {hosts: {w1: {}}}
      hosts: {a0: {}}
    """
    inventory = load(tmp_path, text)
    assert [h.name for h in inventory.hosts] == ["s2", "c1", "w1", "a0"]
    assert inventory.groups["servers"].hosts == ("s2", "c1")
    assert inventory.groups["servers"].children == ("caps",)
    assert inventory.groups["all"].hosts == ("s2", "c1", "w1", "a0")
    assert _host(inventory, "c1").groups == ("servers", "caps")


def test_resolved_values_are_frozen(tmp_path: Path) -> None:
    """Hosts, connections and their mappings cannot be changed after load."""
    host = _host(load(tmp_path, LAYERS), "h1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        host.address = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        host.connection.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        host.vars["level"] = "x"  # type: ignore[index]
    assert hash(host) == hash("h1")


def test_credentials_give_secret_requests_for_the_hosts_that_use_them(tmp_path: Path) -> None:
    """Only the credentials used by the given hosts are requested, each once."""
    text = """\
    credentials:
      admin: {username: 'TB1\\admin', password: env:ADMIN_PW}
      wks: {username: 'TB1\\wks', password: 'file:secrets/wks.txt'}
      unused: {username: x, password: prompt}
    all:
      credential: admin
      hosts:
        dc1: {}
        dc2: {}
        wks001: {credential: wks}
    """
    inventory = load(tmp_path, text)
    requests = inventory.secret_requests(inventory.hosts)
    assert [r.name for r in requests] == ["credentials.admin.password", "credentials.wks.password"]
    assert requests[0].source == EnvSource(env="ADMIN_PW")
    assert requests[1].source == FileSource(file="secrets/wks.txt")
    assert requests[1].base_dir == tmp_path
    password_at = Location(str(tmp_path / "inventory.yml"), 2, column_of(text, "env:ADMIN_PW"))
    assert requests[0].location == password_at
    dc_only = inventory.secret_requests([h for h in inventory.hosts if h.name.startswith("dc")])
    assert [r.name for r in dc_only] == ["credentials.admin.password"]
    admin = inventory.credentials["admin"]
    assert (admin.username, inventory.credential_for(inventory.hosts[0])) == ("TB1\\admin", admin)


def test_minimal_inventory_loads(tmp_path: Path) -> None:
    """The smallest useful inventory resolves its one host with its credential."""
    dc1 = _host(load(tmp_path, MINIMAL), "dc1")
    assert dc1.connection.credential == "domain_admin"
    assert dc1.roles == {Role.DOMAIN_CONTROLLER}


def test_example_inventory_describes_tb1() -> None:
    """The shipped example has the article's hosts and roles (a CAP on a DC, site1 both)."""
    inventory = load_inventory(EXAMPLE)
    by_name = {h.name: h for h in inventory.hosts}
    assert list(by_name) == ["dc1", "dc2", "cap1", "site1", "wks001", "wks002", "wks003", "wks004"]
    assert by_name["dc1"].roles == {Role.DOMAIN_CONTROLLER, Role.CAP_SERVER}
    assert by_name["cap1"].roles == {Role.CAP_SERVER}
    assert by_name["site1"].roles == {Role.SITE_SERVER, Role.LOGON_POINT}
    assert all(by_name[f"wks00{n}"].roles == {Role.CLIENT} for n in range(1, 5))
    assert all(h.connection.scheme is Scheme.HTTPS for h in inventory.hosts)
    assert all(h.connection.cert_validation is not False for h in inventory.hosts)
    assert all(isinstance(r.source, EnvSource) for r in inventory.secret_requests(inventory.hosts))
    assert by_name["dc1"].vars["site_code"] == "TB1"
