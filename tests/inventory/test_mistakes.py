"""Each kind of inventory mistake is reported at its file:line with a useful message."""

from __future__ import annotations

from pathlib import Path

from orchestrator.secrets import Secret
from tests.inventory.helpers import line_of, only, problems

UNKNOWN_KEY = """\
all:
  hosts:
    dc1:
      adress: dc1.tb1.example.com
      roles: [domain_controller]
"""


def test_unknown_key_is_located_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt host key is reported at its line with "did you mean" the right key."""
    problem = only(problems(tmp_path, UNKNOWN_KEY))
    assert problem.location is not None
    assert problem.location.file == str(tmp_path / "inventory.yml")
    assert problem.location.line == line_of(UNKNOWN_KEY, "adress:")
    assert problem.field == "all.hosts.dc1.adress"
    assert "unknown key 'adress'" in problem.message
    assert problem.hint == "did you mean 'address'?"


BAD_ROLE = """\
all:
  children:
    caps:
      roles: [cap_sever]
      hosts: {cap1: {}}
"""


def test_misspelt_role_is_located_with_a_suggestion(tmp_path: Path) -> None:
    """A role that does not exist is reported at its line with the closest role."""
    problem = only(problems(tmp_path, BAD_ROLE))
    assert problem.location is not None
    assert problem.location.line == line_of(BAD_ROLE, "cap_sever")
    assert problem.field == "all.children.caps.roles[0]"
    assert "'cap_sever'" in problem.message
    assert problem.hint == "did you mean 'cap_server'?"


UNDEFINED_CREDENTIAL = """\
credentials:
  domain_admin: {username: 'TB1\\orch-admin', password: env:ORCH_ADMIN_PASSWORD}
all:
  hosts:
    dc1:
      credential: domain_admn
"""


def test_undefined_credential_is_located_with_a_suggestion(tmp_path: Path) -> None:
    """A credential name that is not under `credentials:` is an error with did-you-mean."""
    problem = only(problems(tmp_path, UNDEFINED_CREDENTIAL))
    assert problem.location is not None
    assert problem.location.line == line_of(UNDEFINED_CREDENTIAL, "domain_admn")
    assert problem.message == "credential 'domain_admn' is not defined under 'credentials:'"
    assert problem.hint == "did you mean 'domain_admin'?"


def test_credential_without_any_credentials_section_says_where_to_define_it(
    tmp_path: Path,
) -> None:
    """With no `credentials:` at all, the hint says where credentials are defined."""
    text = "all:\n  credential: admin\n  hosts: {dc1: {}}\n"
    problem = only(problems(tmp_path, text))
    assert "top-level 'credentials:'" in problem.hint


GROUP_CYCLE = """\
all:
  children:
    outer:
      children:
        inner:
          hosts: {dc1: {}}
    inner:
      children:
        outer: {}
"""


def test_group_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    """A group that contains itself through its children is an error naming the cycle."""
    problem = only(problems(tmp_path, GROUP_CYCLE))
    assert problem.location is not None
    assert problem.location.line == line_of(GROUP_CYCLE, "outer: {}")
    assert problem.message == "group cycle: outer -> inner -> outer"


def test_all_cannot_be_a_child(tmp_path: Path) -> None:
    """`all` under `children:` is refused: it is the root."""
    text = "all:\n  hosts: {dc1: {}}\n  children:\n    caps:\n      children:\n        all: {}\n"
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 6
    assert "'all' is the root group" in problem.message


CONFLICT = """\
all:
  children:
    domain_controllers:
      hosts:
        dc1: {address: dc1.tb1.example.com, port: 5986}
    caps:
      hosts:
        dc1: {address: dc1.tb1.example.com, port: 5985}
"""


def test_conflicting_host_definitions_name_both_locations(tmp_path: Path) -> None:
    """One host given two different values for a key in two groups is an error at both."""
    problem = only(problems(tmp_path, CONFLICT))
    second = line_of(CONFLICT, "port: 5985")
    first = line_of(CONFLICT, "port: 5986")
    assert problem.location is not None
    assert problem.location.line == second
    assert problem.field == "all.children.caps.hosts.dc1.port"
    assert "host 'dc1' sets port to the number 5985 here" in problem.message
    assert f"the number 5986 at {tmp_path / 'inventory.yml'}:{first}:" in problem.message


def test_conflicting_host_vars_are_an_error(tmp_path: Path) -> None:
    """The same host var set to two values in two places is an error, not a silent win."""
    text = """\
    all:
      children:
        a: {hosts: {h1: {vars: {x: 1}}}}
        b: {hosts: {h1: {vars: {x: true}}}}
    """
    problem = only(problems(tmp_path, text))
    assert problem.field == "all.children.b.hosts.h1.vars.x"
    assert "sets vars.x to the boolean true here and to the number 1" in problem.message


def test_conflicting_group_definitions_are_an_error(tmp_path: Path) -> None:
    """A group written under two parents with different settings is an error."""
    text = """\
    all:
      children:
        p1: {children: {caps: {scheme: http, hosts: {cap1: {}}}}}
        p2: {children: {caps: {scheme: https}}}
    """
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 4
    assert "group 'caps' sets scheme to 'https' here and to 'http' at" in problem.message


BAD_VALUES = """\
all:
  hosts:
    dc1:
      port: 70000
      scheme: htps
      connection_timeout: 30 secs
      auth: kerberoz
      path: wsman
"""


def test_bad_port_scheme_duration_auth_and_path_are_all_reported(tmp_path: Path) -> None:
    """Every bad value of one host is reported together, each at its own line."""
    found = {p.field.rsplit(".", 1)[-1]: p for p in problems(tmp_path, BAD_VALUES)}
    assert set(found) == {"port", "scheme", "connection_timeout", "auth", "path"}
    for key, problem in found.items():
        assert problem.location is not None
        assert problem.location.line == line_of(BAD_VALUES, f"{key}:")
    assert "less than or equal to 65535" in found["port"].message
    assert found["scheme"].hint == "did you mean 'https'?"
    assert "expected a duration" in found["connection_timeout"].message
    assert found["auth"].hint == "did you mean 'kerberos'?"


def test_port_given_as_text_is_refused(tmp_path: Path) -> None:
    """A quoted port is not silently turned into a number."""
    problem = only(problems(tmp_path, "all:\n  hosts:\n    dc1: {port: '5986'}\n"))
    assert problem.field == "all.hosts.dc1.port"
    assert "integer" in problem.message


def test_zero_timeout_is_refused(tmp_path: Path) -> None:
    """A timeout of 0s would fail every connection; it is refused."""
    problem = only(problems(tmp_path, "all:\n  connection_timeout: 0s\n  hosts: {dc1: {}}\n"))
    assert problem.field == "all.connection_timeout"
    assert "longer than 0s" in problem.message


def test_huge_timeouts_are_refused_not_crashed_on(tmp_path: Path) -> None:
    """Timeouts too large for a timedelta, or over a day, are located problems."""
    text = "all:\n  hosts:\n    h1: {read_timeout: 1e300, operation_timeout: 2d}\n"
    found = problems(tmp_path, text)
    assert {p.field for p in found} == {
        "all.hosts.h1.read_timeout",
        "all.hosts.h1.operation_timeout",
    }
    messages = {p.field: p.message for p in found}
    assert "at most 365d" in messages["all.hosts.h1.read_timeout"]
    assert "at most 1d" in messages["all.hosts.h1.operation_timeout"]


TIMEOUTS = """\
all:
  read_timeout: 30s
  children:
    caps:
      hosts:
        cap1:
          operation_timeout: 30s
"""


def test_read_timeout_must_exceed_operation_timeout(tmp_path: Path) -> None:
    """read_timeout <= operation_timeout is an error naming both values and origins."""
    problem = only(problems(tmp_path, TIMEOUTS))
    assert problem.location is not None
    assert problem.location.line == line_of(TIMEOUTS, "read_timeout")
    assert "host 'cap1': read_timeout (30s," in problem.message
    assert "must be longer than operation_timeout (30s," in problem.message
    assert "(host cap1)" in problem.message
    assert "pypsrp" in problem.hint


def test_default_read_timeout_below_operation_timeout_points_at_operation_timeout(
    tmp_path: Path,
) -> None:
    """With read_timeout left at its default, the error points at operation_timeout."""
    problem = only(problems(tmp_path, "all:\n  hosts:\n    h1: {operation_timeout: 1m}\n"))
    assert problem.location is not None
    assert problem.location.line == 3
    assert problem.field == "all.hosts.h1.operation_timeout"


NAME_CLASH = """\
all:
  children:
    dc1:
      hosts:
        dc2: {}
  hosts:
    dc1: {}
"""


def test_group_and_host_may_not_share_a_name(tmp_path: Path) -> None:
    """A group and a host with the same name is an error at the host naming the group."""
    problem = only(problems(tmp_path, NAME_CLASH))
    assert problem.location is not None
    assert problem.location.line == 7
    assert problem.message.startswith("'dc1' names both a host and the group at")
    assert ":3:" in problem.message


def test_group_named_like_a_role_is_refused(tmp_path: Path) -> None:
    """A group named exactly like a role would be shadowed in patterns; it is refused."""
    text = "all:\n  children:\n    client:\n      hosts: {wks001: {}}\n"
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 3
    assert "'client' is a role" in problem.message


def test_bad_characters_in_a_host_name_are_refused(tmp_path: Path) -> None:
    """Host names are letters, digits, '-', '_' and '.'; a space or a colon is refused."""
    text = "all:\n  hosts:\n    'dc 1': {}\n    'dc:2': {}\n    dc3: {}\n"
    found = problems(tmp_path, text)
    assert [p.location.line for p in found if p.location] == [3, 4]
    assert all("a host name is letters, digits" in p.message for p in found)


def test_url_as_address_gets_a_hint(tmp_path: Path) -> None:
    """An address written as a URL says that scheme, port and path are separate settings."""
    text = "all:\n  hosts:\n    dc1: {address: 'https://dc1:5986/wsman'}\n"
    problem = only(problems(tmp_path, text))
    assert "scheme, port and path are separate settings" in problem.message


def test_bad_var_name_is_refused(tmp_path: Path) -> None:
    """A var name that a template could not use is refused at its line."""
    text = "all:\n  vars:\n    site-code: TB1\n  hosts: {dc1: {}}\n"
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 3
    assert "variable names are letters, digits and _" in problem.message


def test_host_settings_must_be_a_mapping(tmp_path: Path) -> None:
    """A host whose settings are a list is reported as such."""
    problem = only(problems(tmp_path, "all:\n  hosts:\n    dc1: [a, b]\n"))
    assert problem.message == "expected the host's settings (a mapping), found a list"


def test_literal_password_is_refused_without_echoing_it(tmp_path: Path) -> None:
    """A password typed into the inventory is an error whose text never contains it."""
    text = """\
    credentials:
      admin: {username: 'TB1\\admin', password: Hunter2-Literal}
    all:
      hosts: {dc1: {}}
    """
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 2
    assert "passwords are never written in the inventory" in problem.message
    assert "Hunter2-Literal" not in str(problem)


def test_generated_password_is_refused_for_a_credential(tmp_path: Path) -> None:
    """`generate` makes sense for a new account, never for an inventory credential."""
    text = "credentials:\n  admin: {username: a, password: generate}\nall:\n  hosts: {dc1: {}}\n"
    problem = only(problems(tmp_path, text))
    assert "'generate' makes a new password" in problem.message


def test_inventory_without_hosts_is_an_error(tmp_path: Path) -> None:
    """An inventory that defines no host at all is reported."""
    problem = only(problems(tmp_path, "all:\n  vars: {domain: TB1}\n"))
    assert problem.message == "the inventory has no host"


def test_misspelt_all_gets_a_suggestion(tmp_path: Path) -> None:
    """A misspelt top-level `all` is an unknown key with "did you mean 'all'?"."""
    problem = only(problems(tmp_path, "al:\n  hosts: {dc1: {}}\n"))
    assert problem.message == "unknown key 'al'"
    assert problem.hint == "did you mean 'all'?"


def test_missing_all_is_reported(tmp_path: Path) -> None:
    """A file with credentials but no `all:` says that `all` is missing."""
    problem = only(problems(tmp_path, "credentials: {}\n"))
    assert problem.field == "all"
    assert problem.message == "required field is missing"


def test_not_a_mapping_at_all(tmp_path: Path) -> None:
    """A document that is a list is refused with what was expected."""
    problem = only(problems(tmp_path, "- dc1\n- dc2\n"))
    assert problem.message.startswith("expected an inventory (a mapping")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    """Schema, reference and graph mistakes in different places all come in one error."""
    text = """\
    all:
      credential: nobody
      children:
        caps:
          roles: [cap_sever]
          hosts:
            cap1: {port: 0}
        a: {children: {b: {}}}
        b: {children: {a: {}}}
    """
    found = problems(tmp_path, text)
    lines = sorted(p.location.line for p in found if p.location)
    assert lines == [2, 5, 7, 9]


def test_problems_never_show_secret_values(tmp_path: Path) -> None:
    """No rendering of a problem contains a Secret's value (they hold references only)."""
    found = problems(tmp_path, BAD_VALUES)
    assert all("********" not in str(p) for p in found)
    assert str(Secret("x")) == "********"


def test_certificate_auth_over_http_is_refused(tmp_path: Path) -> None:
    """Certificate authentication needs TLS; over http it is an error at the auth setting."""
    text = "all:\n  scheme: http\n  hosts:\n    h1: {auth: certificate}\n"
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 4
    assert "certificate authentication needs scheme https" in problem.message


def test_forced_encryption_with_basic_auth_over_http_is_refused(tmp_path: Path) -> None:
    """Basic auth cannot encrypt messages, so `encryption: always` over http cannot work."""
    text = "all:\n  scheme: http\n  auth: basic\n  encryption: always\n  hosts: {h1: {}, h2: {}}\n"
    problem = only(problems(tmp_path, text))
    assert problem.location is not None
    assert problem.location.line == 4
    assert problem.message.startswith("hosts 'h1', 'h2': encryption: always over http needs")
