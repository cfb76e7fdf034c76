"""Playbook loading: one test per kind of mistake, each asserting file:line and the message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestrator.errors import InputError, Problem
from orchestrator.modules import MODULES
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.model import Step, Window

HEADER = "name: Test\nsteps:\n"
GOOD_STEP = """\
  - name: Enable the local Guest
    hosts: cap_server
    local_user: {sid: S-1-5-21-*-501, enabled: true}
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "play.yml"
    path.write_text(textwrap.dedent(text))
    return load_playbook(path, MODULES)


def _problems(tmp_path: Path, text: str) -> list[Problem]:
    with pytest.raises(InputError) as info:
        _load(tmp_path, text)
    return list(info.value.problems)


def _one(tmp_path: Path, text: str) -> str:
    problems = _problems(tmp_path, text)
    assert len(problems) == 1, problems
    return str(problems[0]).replace(str(tmp_path) + "/", "")


def test_a_good_playbook_loads(tmp_path: Path) -> None:
    """A valid playbook gives frozen steps with their module and raw arguments."""
    playbook = _load(tmp_path, HEADER + GOOD_STEP)
    steps = list(playbook.steps())  # type: ignore[attr-defined]
    assert isinstance(steps[0], Step)
    assert steps[0].module == "local_user"
    assert steps[0].args == {"sid": "S-1-5-21-*-501", "enabled": True}
    assert str(steps[0].location) == f"{tmp_path}/play.yml:3:5"


def test_misspelled_step_key_suggests_the_right_one(tmp_path: Path) -> None:
    """An unknown step key names its line and the closest known key."""
    text = HEADER + GOOD_STEP.replace("    hosts:", "    hostss:")
    assert _one(tmp_path, text) == (
        "play.yml:4:5: steps[0].hostss: unknown key 'hostss' (did you mean 'hosts'?)"
    )


def test_the_old_on_key_names_its_replacement(tmp_path: Path) -> None:
    """`on:` (YAML 1.1's boolean true) is refused with the key that replaces it."""
    text = HEADER + GOOD_STEP.replace("    hosts:", "    on:")
    message = _one(tmp_path, text)
    assert message.startswith("play.yml:4:5: steps[0].on: 'on:' is now 'hosts:'")
    assert "rename the key to 'hosts:'" in message


def test_the_old_on_key_beside_hosts_is_refused(tmp_path: Path) -> None:
    """Both keys: `on:` is the one to delete, and no other problem is reported."""
    text = HEADER + GOOD_STEP.replace("    hosts: cap_server", "    hosts: cap_server\n    on: x")
    assert "delete 'on:'" in _one(tmp_path, text)


def test_misspelled_module_name_suggests_the_module(tmp_path: Path) -> None:
    """A misspelled module key is reported once, with the module as suggestion."""
    text = HEADER + GOOD_STEP.replace("local_user:", "local_usr:")
    assert _one(tmp_path, text) == (
        "play.yml:5:5: steps[0].local_usr: unknown key 'local_usr' (did you mean 'local_user'?)"
    )


def test_misspelled_argument_suggests_the_argument(tmp_path: Path) -> None:
    """An unknown module argument is located at the key with a suggestion."""
    text = HEADER + GOOD_STEP.replace("enabled:", "enabeld:")
    assert _one(tmp_path, text) == (
        "play.yml:5:39: steps[0].local_user.enabeld: unknown key 'enabeld'"
        " (did you mean 'enabled'?)"
    )


def test_wrong_type_says_expected_and_found(tmp_path: Path) -> None:
    """A value of the wrong type says what was expected and what was found."""
    text = HEADER + GOOD_STEP.replace("enabled: true", "enabled: maybe")
    message = _one(tmp_path, text)
    assert message.startswith(
        "play.yml:5:48: steps[0].local_user.enabled: expected a valid boolean"
    )
    assert "found 'maybe'" in message


def test_misspelled_choice_suggests_the_choice(tmp_path: Path) -> None:
    """A Literal value with a typo suggests the closest allowed value."""
    text = HEADER + "  - {name: s, hosts: client, service: {name: Clisvcl, state: strated}}\n"
    message = _one(tmp_path, text)
    assert "steps[0].service.state: expected 'started', 'stopped' or 'restarted'" in message
    assert "did you mean 'started'?" in message


def test_missing_required_field_is_located_at_its_parent(tmp_path: Path) -> None:
    """A missing required field names the field and the mapping that lacks it."""
    text = HEADER + "  - name: s\n    service: {name: Clisvcl, state: started}\n"
    assert _one(tmp_path, text) == "play.yml:3:5: steps[0].hosts: required field is missing"


def test_a_step_without_module_lists_the_modules(tmp_path: Path) -> None:
    """A step with no module key says so and lists the modules."""
    message = _one(tmp_path, HEADER + "  - {name: s, hosts: client}\n")
    assert message.startswith(
        "play.yml:3:5: steps[0]: the step has no module (add one of: local_user"
    )


def test_a_step_with_two_modules_is_refused(tmp_path: Path) -> None:
    """Two module keys in one step are an error at the second one."""
    text = (
        HEADER + "  - name: s\n    hosts: client\n    service: {name: a, state: started}\n"
        "    registry: {path: 'HKLM:\\x', name: y, state: absent}\n"
    )
    assert _one(tmp_path, text) == (
        "play.yml:6:5: steps[0].registry: a step runs exactly one module; found 'service',"
        " 'registry' (split it into one step per module)"
    )


def test_bad_duration_is_explained(tmp_path: Path) -> None:
    """A duration in an unknown unit names the accepted units."""
    text = HEADER + GOOD_STEP + "    timeout: 5x\n"
    assert _one(tmp_path, text) == (
        "play.yml:6:14: steps[0].timeout: expected a duration such as 90s, 15m, 2h or 1h30m,"
        " found '5x' (units: ms, s, m, h, d)"
    )


def test_bad_host_pattern_is_explained(tmp_path: Path) -> None:
    """A malformed `hosts:` pattern is reported at load time, without an inventory."""
    text = HEADER + GOOD_STEP.replace("hosts: cap_server", "hosts: 'cap_server['")
    message = _one(tmp_path, text)
    assert message.startswith("play.yml:4:12: steps[0].hosts: bad host pattern 'cap_server['")


def test_bad_when_expression_is_explained(tmp_path: Path) -> None:
    """A `when:` that does not parse is reported with the parser's reason."""
    text = HEADER + GOOD_STEP + "    when: 'a >'\n"
    assert "play.yml:6:11: steps[0].when: expression syntax error" in _one(tmp_path, text)


def test_template_syntax_error_in_arguments(tmp_path: Path) -> None:
    """A broken template inside module arguments is reported where it is written."""
    text = HEADER + "  - {name: s, hosts: client, service: {name: '{{ svc', state: started}}\n"
    assert "play.yml:3:46: steps[0].service.name: template syntax error" in _one(tmp_path, text)


def test_templated_values_are_checked_after_rendering(tmp_path: Path) -> None:
    """A template in a typed field is accepted at load time (it is checked once rendered)."""
    playbook = _load(tmp_path, HEADER + GOOD_STEP.replace("enabled: true", "enabled: '{{ flag }}'"))
    assert next(iter(playbook.steps())).args["enabled"] == "{{ flag }}"  # type: ignore[attr-defined]


def test_literal_password_is_refused_and_never_echoed(tmp_path: Path) -> None:
    """A password written literally is refused, and the error does not repeat it."""
    text = HEADER + "  - {name: s, hosts: dc1, ad_user: {name: x, password: hunter2-CANARY}}\n"
    message = _one(tmp_path, text)
    assert "must come from a declared secret" in message
    assert "hunter2-CANARY" not in message


def test_windows_do_not_nest(tmp_path: Path) -> None:
    """A window inside a window is refused at the inner `window:` key."""
    text = (
        HEADER
        + """\
  - window:
      name: outer
      deadline: 1h
      steps:
        - window: {name: inner, deadline: 10m, steps: []}
"""
    )
    assert _one(tmp_path, text) == (
        "play.yml:7:11: steps[0].window.steps[0].window: windows do not nest"
        " (close the outer window first, or merge the two into one window)"
    )


def test_irreversible_step_cannot_sit_in_a_window(tmp_path: Path) -> None:
    """A step whose change cannot be undone is refused inside a window."""
    text = (
        HEADER
        + """\
  - window:
      name: w
      deadline: 1h
      steps:
        - name: Run smsman
          hosts: client
          process: {path: smsman.exe}
          irreversible: true
"""
    )
    message = _one(tmp_path, text)
    assert message.startswith("play.yml:7:11: steps[0].window.steps[0]: this step cannot be undone")
    assert "cannot sit in window 'w'" in message


def test_irreversible_change_must_be_acknowledged(tmp_path: Path) -> None:
    """Deleting an account needs `irreversible: true`, so a reviewer sees it."""
    text = HEADER + "  - {name: Delete, hosts: dc1, ad_user: {name: old, state: absent}}\n"
    message = _one(tmp_path, text)
    assert "this step cannot be undone: a deleted domain account cannot be restored" in message
    assert "add 'irreversible: true'" in message


def test_duplicate_step_names_are_refused(tmp_path: Path) -> None:
    """Two steps with one name are an error naming the first one's line."""
    text = HEADER + GOOD_STEP + GOOD_STEP
    assert _one(tmp_path, text) == (
        "play.yml:6:11: steps[1].name: duplicate step name 'Enable the local Guest'"
        " (first used at line 3) (steps are identified by name in runs, journals and reports)"
    )


def test_reserved_variable_names_are_refused(tmp_path: Path) -> None:
    """A playbook var named like an engine-provided name is refused."""
    text = "name: T\nvars: {secrets: 1}\nsteps:\n" + GOOD_STEP
    assert _one(tmp_path, text) == (
        "play.yml:2:8: vars.secrets: 'secrets' is a reserved name the engine provides"
        " (rename the variable)"
    )


def test_unqualified_guest_member_is_refused(tmp_path: Path) -> None:
    """`members: [Guest]` is refused: it would resolve to the domain Guest on a member server."""
    text = (
        HEADER
        + "  - {name: s, hosts: cap1, local_group_member: {group: Users, members: [Guest]}}\n"
    )
    assert "resolves to the DOMAIN Guest" in _one(tmp_path, text)


def test_unknown_probe_suggests_a_probe(tmp_path: Path) -> None:
    """A misspelled wait_for probe is reported with the closest probe name."""
    text = HEADER + (
        "  - {name: w, hosts: site1, wait_for: {probe: sms_client_stats, until: 'a > 1', timeout: 1m}}\n"
    )
    assert "unknown probe 'sms_client_stats'; did you mean 'sms_client_status'?" in _one(
        tmp_path, text
    )


def test_every_problem_of_a_file_is_reported_together(tmp_path: Path) -> None:
    """Several mistakes in different steps are all reported in one error, in file order."""
    text = (
        HEADER
        + """\
  - {name: a, hosts: client, service: {name: x, state: strated}}
  - {name: b, hostss: client, service: {name: x, state: started}}
  - {name: c, hosts: client, registry: {path: 'HKLM:\\x', name: y, type: REG_DWORD, value: -1}}
  - {name: d, hosts: client, wait_for: {probe: {service: {name: x}}, until: 'x', timeout: 1m, interval: 2m}}
"""
    )
    problems = _problems(tmp_path, text)
    fields = sorted((p.location.line if p.location else 0, p.field) for p in problems)
    assert fields == [
        (3, "steps[0].service.state"),
        (4, "steps[1].hostss"),
        (5, "steps[2].registry"),
        (6, "steps[3].wait_for"),
    ]


def test_window_is_loaded_with_its_steps(tmp_path: Path) -> None:
    """A window keeps its name, deadline, failsafe and steps, each step knowing its window."""
    text = (
        HEADER
        + """\
  - window:
      name: guest-access
      deadline: 2h
      steps:
"""
        + textwrap.indent(GOOD_STEP, "      ")
    )
    playbook = _load(tmp_path, text)
    window = playbook.items[0]  # type: ignore[attr-defined]
    assert isinstance(window, Window)
    assert (window.name, window.deadline.total_seconds(), window.failsafe) == (
        "guest-access",
        7200,
        "target",
    )
    assert window.steps[0].window == "guest-access"


def test_a_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    """A list at the top level is refused with what a playbook is."""
    assert "a playbook is a mapping with 'name' and 'steps'" in _one(tmp_path, "- a\n- b\n")
