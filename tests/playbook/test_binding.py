"""Binding a playbook to an inventory: targets, variable precedence, rendered arguments."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestrator.inventory.loader import load_inventory
from orchestrator.modules import MODULES
from orchestrator.playbook.binding import Binder, Binding, placeholder_secrets
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.variables import parse_extra_vars
from orchestrator.secrets import Secret

INVENTORY = """\
all:
  scheme: http
  vars: {level: all, site_code: TB1}
  children:
    caps:
      roles: [cap_server]
      vars: {level: group}
      hosts:
        cap1: {vars: {level: host}}
        cap2: {}
    dcs:
      roles: [domain_controller]
      hosts:
        dc1: {}
"""


def _bind(tmp_path: Path, playbook: str, extra: list[str] | None = None) -> Binding:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(textwrap.dedent(playbook))
    loaded = load_playbook(tmp_path / "play.yml", MODULES)
    binder = Binder(
        load_inventory(tmp_path / "inv.yml"), parse_extra_vars(extra or [], tmp_path), MODULES
    )
    return binder.bind(loaded, placeholder_secrets(loaded))


def _play(args: str, hosts: str = "cap_server", extra_vars: str = "") -> str:
    return (
        f"name: T\nvars: {{level: playbook, {extra_vars}}}\nsteps:\n"
        f"  - name: s\n    hosts: {hosts}\n    service: {args}\n"
    )


def test_precedence_playbook_all_group_host_extra(tmp_path: Path) -> None:
    """Playbook vars are defaults; inventory all < group < host; -e wins over everything."""
    binding = _bind(tmp_path, _play("{name: '{{ level }}', state: started}", hosts="all"))
    names = {b.host.name: b.args.name for b in binding.bound}  # type: ignore[attr-defined]
    assert names == {"cap1": "host", "cap2": "group", "dc1": "all"}
    binding = _bind(
        tmp_path, _play("{name: '{{ level }}', state: started}", hosts="all"), ["level=cli"]
    )
    assert {b.args.name for b in binding.bound} == {"cli"}  # type: ignore[attr-defined]


def test_playbook_default_applies_when_the_inventory_is_silent(tmp_path: Path) -> None:
    """A var only the playbook sets is used as written."""
    binding = _bind(
        tmp_path, _play("{name: '{{ svc }}', state: started}", extra_vars="svc: Clisvcl")
    )
    assert {b.args.name for b in binding.bound} == {"Clisvcl"}  # type: ignore[attr-defined]


def test_magic_names_are_available(tmp_path: Path) -> None:
    """inventory_hostname, roles and groups are provided to every template."""
    binding = _bind(
        tmp_path,
        _play(
            "{name: '{{ inventory_hostname }}-{{ roles[0] }}-{{ groups.caps | length }}', state: started}"
        ),
    )
    assert sorted(b.args.name for b in binding.bound) == ["cap1-cap_server-2", "cap2-cap_server-2"]  # type: ignore[attr-defined]


def test_an_undefined_variable_is_one_problem_naming_the_hosts(tmp_path: Path) -> None:
    """The same rendering problem on many hosts is reported once, listing the hosts."""
    binding = _bind(tmp_path, _play("{name: '{{ sitecode }}', state: started}"))
    (problem,) = binding.problems
    assert problem.field == "steps[0].service"
    assert "'sitecode' is undefined; did you mean 'site_code'?" in problem.message
    assert problem.hint == "on cap1, cap2"


def test_rendered_values_are_validated_per_host(tmp_path: Path) -> None:
    """A template that renders to a wrong value is reported like a literal one."""
    binding = _bind(tmp_path, _play("{name: x, state: '{{ level }}'}"))
    found = sorted((p.field, p.message.rpartition("found ")[2], p.hint) for p in binding.problems)
    assert found == [
        ("steps[0].service.state", "'group'", "on cap2"),
        ("steps[0].service.state", "'host'", "on cap1"),
    ]
    assert all(
        "expected 'started', 'stopped' or 'restarted'" in p.message for p in binding.problems
    )


def test_unknown_target_names_are_reported_with_a_suggestion(tmp_path: Path) -> None:
    """A `hosts:` name that is no role, group or host is a problem with a suggestion."""
    binding = _bind(tmp_path, _play("{name: x, state: started}", hosts="cap_servr"))
    (problem,) = binding.problems
    assert problem.message == f"'cap_servr' is no role, group or host in {tmp_path}/inv.yml"
    assert "cap_server" in problem.hint


def test_secrets_render_to_secrets(tmp_path: Path) -> None:
    """A secret reference renders to a Secret (a placeholder when validating)."""
    playbook = (
        "name: T\nsecrets: {pw: generate}\nsteps:\n  - name: s\n    hosts: dc1\n"
        "    ad_user: {name: x, password: '{{ secrets.pw }}'}\n"
    )
    (bound,) = _bind(tmp_path, playbook).bound
    assert isinstance(bound.args.password, Secret)  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="never resolved"):
        bound.args.password.reveal()  # type: ignore[attr-defined]


def test_missing_secrets_are_all_reported_before_any_host(tmp_path: Path) -> None:
    """In a non-interactive run every unavailable secret of the playbook is one InputError."""
    from orchestrator.errors import InputError
    from orchestrator.playbook.binding import secret_requests
    from orchestrator.secrets import SecretResolver

    (tmp_path / "play.yml").write_text(
        "name: T\nsecrets:\n  a: env:ORCH_TEST_UNSET\n  b: file:pw.txt\n  c: prompt\n  d: generate\n"
        "steps:\n  - {name: s, hosts: dc1, service: {name: x, state: started}}\n"
    )
    requests = secret_requests(load_playbook(tmp_path / "play.yml", MODULES))
    with pytest.raises(InputError) as info:
        SecretResolver(interactive=False, environ={}).resolve(requests)
    located = [(str(p.location), p.field) for p in info.value.problems]
    assert located == [
        (f"{tmp_path}/play.yml:3:6", "secrets.a"),
        (f"{tmp_path}/play.yml:4:6", "secrets.b"),
        (f"{tmp_path}/play.yml:5:6", "secrets.c"),
    ]
    (tmp_path / "pw.txt").write_text("from-file\n")
    resolved = SecretResolver(
        interactive=False, environ={"ORCH_TEST_UNSET": "x-long-enough"}
    ).resolve([r for r in requests if r.name != "c"])
    assert resolved["b"].reveal() == "from-file"
