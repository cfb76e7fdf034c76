"""What a run would refuse without looking at live state is found when binding (validate -i,
plan, run): undefined names, expressions over probe values, typed and known -e values, waits
that cannot fit their window."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestrator.inventory.loader import load_inventory
from orchestrator.modules import MODULES
from orchestrator.playbook.binding import Binder, Binding, placeholder_secrets
from orchestrator.playbook.loader import load_playbook
from orchestrator.playbook.variables import parse_extra_vars

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = """\
all:
  scheme: http
  vars: {site_code: TB1}
  children:
    sites: {roles: [site_server], hosts: {site1: {}}}
    caps: {roles: [cap_server], hosts: {cap1: {}, cap2: {vars: {flag: true}}}}
"""
READ = """\
  - name: Read the site
    hosts: site1
    probe: {sms_client_status: {site_code: TB1}}
    register: site
"""
WAIT = """\
  - name: Wait
    hosts: site1
    wait_for:
      probe: {sms_client_status: {site_code: TB1}}
      until: UNTIL
      timeout: "{{ checkin_timeout }}"
"""
HEADER = "name: T\nvars: {min_ratio: 0.9, checkin_timeout: 10m, poll: 30s}\nsteps:\n"


def _wait(until: str) -> str:
    return WAIT.replace("UNTIL", until)


def _bind(
    tmp_path: Path, steps: str, extra: list[str] | None = None, header: str = HEADER
) -> Binding:
    (tmp_path / "inv.yml").write_text(INVENTORY)
    (tmp_path / "play.yml").write_text(header + textwrap.dedent(steps))
    playbook = load_playbook(tmp_path / "play.yml", MODULES)
    extra_vars = parse_extra_vars(extra or [], tmp_path)
    binder = Binder(load_inventory(tmp_path / "inv.yml"), extra_vars, MODULES)
    return binder.bind(playbook, placeholder_secrets(playbook))


def _messages(binding: Binding) -> list[str]:
    return [str(p).replace(str(Path.cwd()), "") for p in binding.problems]


def _one(binding: Binding) -> str:
    messages = _messages(binding)
    assert len(messages) == 1, messages
    return messages[0]


def test_a_misspelled_probe_value_in_until_is_named_with_a_suggestion(tmp_path: Path) -> None:
    """`until: awre_ratio >= ...`: the probe gives aware_ratio; the line and field are named."""
    binding = _bind(tmp_path, _wait("awre_ratio >= min_ratio"))
    message = _one(binding)
    assert "play.yml:8:12: steps[0].wait_for.until: undefined variable: 'awre_ratio'" in message
    assert "did you mean 'aware_ratio'" in message


def test_until_over_the_probe_values_and_variables_passes(tmp_path: Path) -> None:
    """A correct expression raises nothing: the probe's values and the variables are seen."""
    assert _messages(_bind(tmp_path, _wait("aware_ratio >= min_ratio"))) == []


def test_comparing_a_list_with_a_number_is_a_type_error_before_the_run(tmp_path: Path) -> None:
    """`site.broken > 0`: broken is a list; the run would fail there, so binding does."""
    steps = (
        READ
        + "  - {name: Fix, hosts: cap_server, when: site.broken > 0, service: {name: x, state: started}}\n"
    )
    message = _one(_bind(tmp_path, steps))
    assert "steps[1].when: TypeError: '>' not supported between instances of 'list'" in message


def test_a_misspelled_attribute_of_a_registered_probe_is_reported(tmp_path: Path) -> None:
    """`site.brokn`: the registered value has the probe's names, strictly."""
    steps = (
        READ
        + "  - {name: Fix, hosts: cap_server, when: 'site.brokn', service: {name: x, state: started}}\n"
    )
    assert "has no attribute 'brokn'" in _one(_bind(tmp_path, steps))


def test_a_name_registered_later_does_not_exist_yet(tmp_path: Path) -> None:
    """Using a registered name before the step that registers it says which step that is."""
    steps = (
        "  - {name: Early, hosts: cap1, when: site.total > 0, service: {name: x, state: started}}\n"
        + READ
    )
    message = _one(_bind(tmp_path, steps))
    assert "'site' is registered by step 'Read the site', which has not run" in message


def test_an_undefined_name_in_arguments_rendered_at_run_time_is_found(tmp_path: Path) -> None:
    """A step rendered late (it uses a registered value) is still checked for its names."""
    late = '  - name: Late\n    hosts: cap1\n    service: {name: "{{ site.broken[0] ~ sufix }}", state: started}\n'
    binding = _bind(tmp_path, READ + late)
    assert binding.late == {"Late": frozenset({"site"})}
    assert "steps[1].service.name: undefined variable: 'sufix' is undefined" in _one(binding)


def test_a_name_only_some_hosts_have_is_reported_on_the_others(tmp_path: Path) -> None:
    """`flag` is set on cap2 only: the problem names cap1, the host where it is missing."""
    steps = "  - {name: S, hosts: cap_server, when: flag, service: {name: x, state: started}}\n"
    message = _one(_bind(tmp_path, steps))
    assert "'flag' is undefined" in message
    assert "on cap1" in message
    assert "cap2" not in message


def test_a_value_of_unknown_type_raises_no_false_alarm(tmp_path: Path) -> None:
    """A registry value can be anything: any use of it passes before the run."""
    steps = (
        "  - name: A\n    hosts: cap1\n    assert:\n"
        "      registry: {path: 'HKLM:\\x', name: y}\n"
        "      that: not exists or value | int == 0 or value > 3 or value.x.y\n"
    )
    assert _messages(_bind(tmp_path, steps)) == []


def test_an_extra_var_takes_the_type_of_the_default_it_overrides(tmp_path: Path) -> None:
    """-e min_ratio=0.95 is the number 0.95 (a comparison with a ratio works in the run)."""
    binding = _bind(tmp_path, _wait("aware_ratio >= min_ratio"), ["min_ratio=0.95"])
    assert binding.problems == []
    assert binding.variables["site1"]["min_ratio"] == 0.95


def test_an_extra_var_of_the_wrong_type_is_refused_naming_the_default(tmp_path: Path) -> None:
    """-e min_ratio=abc: refused before any host, naming the default that gives the type."""
    message = _one(_bind(tmp_path, _wait("aware_ratio >= min_ratio"), ["min_ratio=abc"]))
    assert message.startswith("command line -e: -e min_ratio: expected a number, found 'abc'")
    assert "its default 0.9 at" in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [("checkin_timeout=2hours", "expected a duration"), ("poll=yes", "expected a duration")],
)
def test_a_duration_override_must_be_a_duration(tmp_path: Path, given: str, expected: str) -> None:
    """A default such as 10m makes the variable a duration."""
    binding = _bind(tmp_path, _wait("aware_ratio > 0.5") + "", [given])
    assert expected in _one(binding)


def test_an_unknown_extra_var_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    """-e pol=2s names no variable: it would be ignored silently, so it is refused."""
    binding = _bind(tmp_path, _wait("aware_ratio > 0.5"), ["pol=2s"])
    message = _one(binding)
    assert "-e pol: 'pol' is no variable of" in message
    assert "did you mean 'poll'?" in message


def test_an_extra_var_only_a_template_uses_is_known(tmp_path: Path) -> None:
    """A name used by a template but set nowhere is what -e is for."""
    steps = "  - {name: S, hosts: cap1, service: {name: '{{ svc }}', state: started}}\n"
    assert _messages(_bind(tmp_path, steps, ["svc=Clisvcl"])) == []


def test_declared_types_apply_to_overrides_and_defaults(tmp_path: Path) -> None:
    """var_types: an int is refused text from -e; a default of another type is a problem."""
    header = (
        "name: T\nvar_types: {tries: int, ratio: float}\nvars: {tries: 3, ratio: high}\nsteps:\n"
    )
    steps = "  - {name: S, hosts: cap1, when: tries > 1 and ratio != 0, service: {name: x, state: started}}\n"
    messages = _messages(_bind(tmp_path, steps, ["tries=2.5"], header=header))
    assert any("-e tries: expected a whole number, found '2.5'" in m for m in messages), messages
    assert any("vars.ratio (playbook vars): expected a number, found 'high'" in m for m in messages)


def _window(deadline: str) -> str:
    return (
        f"  - window:\n      name: w\n      deadline: {deadline}\n      steps:\n"
        "        - {name: Open, hosts: cap1, service: {name: x, state: started}}\n"
        "        - name: Wait\n          hosts: site1\n          wait_for:\n"
        "            probe: {sms_client_status: {site_code: TB1}}\n"
        "            until: aware_ratio > 0.5\n            timeout: '{{ checkin_timeout }}'\n"
    )


def test_a_wait_longer_than_its_window_allows_is_refused(tmp_path: Path) -> None:
    """10m of waiting in a 5m window: the field, the room left for the revert, the fix."""
    message = _one(_bind(tmp_path, _window("5m")))
    assert "steps[0].window.steps[1].wait_for.timeout: this wait may last 10m" in message
    assert "window 'w' must stop forward work 4m30s after it opens" in message
    assert "give the wait a timeout of at most 4m30s" in message


def test_a_wait_that_fits_its_window_passes(tmp_path: Path) -> None:
    """The same wait in a 20m window leaves the revert its time."""
    assert _messages(_bind(tmp_path, _window("20m"))) == []


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", ["validate", "plan", "run"])
def test_validate_plan_and_run_refuse_the_same_before_any_host(
    command: str, tmp_path: Path
) -> None:
    """The same checks on every path: exit 2 with the field, no host contacted (the example
    inventory's hosts do not exist, and no password is asked for)."""
    playbook = tmp_path / "guest.yml"
    text = (ROOT / "playbooks" / "guest-window.yml").read_text()
    playbook.write_text(text.replace("until: aware_ratio >=", "until: awre_ratio >="))
    extra = ["--yes"] if command == "run" else []
    result = _cli(command, str(playbook), "-i", str(ROOT / "inventory" / "example.yml"), *extra)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "wait_for.until: undefined variable: 'awre_ratio'" in result.stdout + result.stderr
    assert "ORCH_ADMIN_PASSWORD" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "given",
    ["min_checked_in_ratio=abc", "pol_interval=2s", "checkin_timeout=3h"],
)
def test_validate_refuses_what_the_tester_found(given: str) -> None:
    """Each case validate used to let through: a wrong type, a misspelled name, a wait longer
    than the window."""
    result = _cli(
        "validate", "playbooks/guest-window.yml", "-i", "inventory/example.yml", "-e", given
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"-e {given.split('=', maxsplit=1)[0]}" in output or "wait_for.timeout" in output
