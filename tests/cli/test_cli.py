"""The command line, as ops and CI use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from orchestrator import __version__
from orchestrator.cli import app
from orchestrator.yamlsource import load_file

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yml"))
EXAMPLE_INVENTORY = ROOT / "inventory" / "example.yml"
runner = CliRunner()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point in a real process: what an operator sees."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_the_four_shipped_playbooks_exist() -> None:
    """Each recovery method of Q236052, plus the Q237759 rotation, ships as a playbook."""
    assert [p.name for p in PLAYBOOKS] == [
        "guest-window.yml",
        "orphan-and-reinstall.yml",
        "rotate-connection-account.yml",
        "smsman-reinstall.yml",
    ]


def test_shipped_playbooks_validate_against_the_example_inventory() -> None:
    """`validate playbooks/*.yml -i inventory/example.yml` says OK for each and exits 0."""
    result = _run("validate", *map(str, PLAYBOOKS), "-i", str(EXAMPLE_INVENTORY))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok ") == len(PLAYBOOKS)
    assert result.stderr == ""


def test_misspelled_key_exits_2_with_location_and_suggestion(tmp_path: Path) -> None:
    """A misspelled key exits 2, names file:line:column and suggests the key, with no traceback."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: x\nsteps:\n  - name: s\n    hosts: client\n    servce: {name: Clisvcl, state: started}\n"
    )
    result = _run("validate", str(bad))
    assert result.returncode == 2
    assert (
        f"{bad}:5:5: steps[0].servce: unknown key 'servce' (did you mean 'service'?)"
        in result.stderr
    )
    assert "Traceback" not in result.stderr + result.stdout


def test_validate_with_inventory_reports_undefined_variables(tmp_path: Path) -> None:
    """With -i, a variable the inventory does not define is reported with its step and hosts."""
    play = tmp_path / "p.yml"
    play.write_text(
        "name: x\nsteps:\n  - name: s\n    hosts: client\n    service: {name: '{{ svc }}', state: started}\n"
    )
    result = _run("validate", str(play), "-i", str(EXAMPLE_INVENTORY))
    assert result.returncode == 2
    assert "steps[0].service: undefined variable: 'svc' is undefined" in result.stderr
    assert "on wks001, wks002, wks003, wks004" in result.stderr
    fixed = _run("validate", str(play), "-i", str(EXAMPLE_INVENTORY), "-e", "svc=Clisvcl")
    assert fixed.returncode == 0, fixed.stderr


def test_validate_json_output_lists_problems() -> None:
    """--format json gives one entry per playbook with located problems."""
    result = runner.invoke(app, ["validate", str(PLAYBOOKS[0]), "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0
    assert data["playbooks"][0]["ok"] is True
    assert data["playbooks"][0]["problems"] == []


def test_bad_flags_exit_2() -> None:
    """Unknown options, bad option values and a missing playbook argument exit 2."""
    assert runner.invoke(app, ["validate", "--bogus"]).exit_code == 2
    assert runner.invoke(app, ["validate", str(PLAYBOOKS[0]), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["validate"]).exit_code == 2
    assert runner.invoke(app, ["validate", str(PLAYBOOKS[0]), "--limit", "x"]).exit_code == 2


def test_missing_playbook_file_exits_2(tmp_path: Path) -> None:
    """A playbook path that does not exist is an input error, exit 2."""
    result = _run("validate", str(tmp_path / "nope.yml"))
    assert result.returncode == 2
    assert "playbook not found" in result.stderr


def test_version_through_the_module_and_the_console_script() -> None:
    """`python -m orchestrator --version` and `orchestrator --version` print the version."""
    assert _run("--version").stdout.strip() == f"orchestrator {__version__}"
    script = Path(sys.executable).parent / "orchestrator"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"orchestrator {__version__}"


def test_schema_validates_every_shipped_playbook() -> None:
    """`orchestrator schema` is a valid JSON Schema that accepts every shipped playbook."""
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in PLAYBOOKS:
        errors = [e.message for e in validator.iter_errors(load_file(path).data)]
        assert errors == [], path


def test_schema_rejects_what_the_loader_rejects() -> None:
    """The schema refuses an unknown step key and a step with two modules, as the loader does."""
    validator = jsonschema.Draft202012Validator(json.loads(runner.invoke(app, ["schema"]).stdout))
    step = {"name": "s", "hosts": "client", "service": {"name": "x", "state": "started"}}
    assert validator.is_valid({"name": "p", "steps": [step]})
    assert not validator.is_valid({"name": "p", "steps": [{**step, "onn": "x"}]})
    assert not validator.is_valid({"name": "p", "steps": [{**step, "process": {"path": "x"}}]})
    assert not validator.is_valid(
        {"name": "p", "steps": [{**step, "service": {"name": "x", "state": "strated"}}]}
    )


def test_the_committed_schema_file_is_current() -> None:
    """docs/playbook.schema.json, which playbooks reference for editors, matches `schema`."""
    committed = (ROOT / "docs" / "playbook.schema.json").read_text()
    assert committed == runner.invoke(app, ["schema"]).stdout


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_shipped_playbooks_point_editors_at_the_schema(playbook: Path) -> None:
    """Each shipped playbook carries the yaml-language-server modeline."""
    first = playbook.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../docs/playbook.schema.json"


def test_the_lab_without_its_extra_says_what_to_install() -> None:
    """`lab serve` without the lab extra (psrpcore missing): exit 2 and the install command."""
    code = (
        "import sys; sys.modules['psrpcore'] = None; sys.argv = ['orchestrator', 'lab', 'serve'];"
        " from orchestrator.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pip install 'orchestrator[lab]'" in done.stdout
    assert "psrpcore" in done.stdout
