"""The CI examples of docs/ci.md, run as documented against the lab: a plan, then its run;
and the GitHub Actions and GitLab CI jobs of docs/ci.md checked against what the example
inventory and the playbooks need (credentials, state directory, timeouts, job dependencies)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.durations import parse_duration
from orchestrator.inventory.loader import load_inventory
from orchestrator.journal import Journal, RunStatus
from orchestrator.secrets import EnvSource, FileSource

from ..conftest import LabFactory

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
CI_DOC = ROOT / "docs" / "ci.md"
SCRIPTS = ("docs/examples/ci-plan.sh", "docs/examples/ci-apply.sh")
MARGIN = timedelta(minutes=30)  # an apply job's timeout exceeds the playbook's waits by this


def _script(
    name: str, env: dict[str, str], *args: str, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        ["bash", str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
        cwd=cwd,
        env={**os.environ, **env, "PATH": path},
    )


@pytest.mark.e2e
def test_scheduled_plan_then_approved_run(lab_factory: LabFactory, tmp_path: Path) -> None:
    """ci-plan.sh publishes a plan with changes pending; ci-apply.sh runs it: exit 0, JUnit."""
    lab = lab_factory(
        scenario="healthy", clients=5, start_now=True, success_interval=timedelta(seconds=3)
    )
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    artifacts = tmp_path / "out"
    env = {
        "PLAYBOOK": "playbooks/rotate-connection-account.yml",
        "INVENTORY": str(inventory),
        "ARTIFACTS": str(artifacts),
        "ORCHESTRATOR_STATE_DIR": str(tmp_path / "state"),
    }
    planned = _script("ci-plan.sh", env, "-e", "poll_interval=1s")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert (artifacts / "changes-pending").read_text().strip() == "true"
    assert "will" in (artifacts / "plan.md").read_text().lower()
    assert json.loads((artifacts / "plan.json").read_text())["changes_pending"] is True
    assert (artifacts / "plan.html").read_text().lstrip().lower().startswith("<!doctype html")

    applied = _script("ci-apply.sh", env)
    assert applied.returncode == 0, applied.stdout + applied.stderr + _tail(artifacts)
    suites = ET.parse(artifacts / "run-junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == 8  # eight steps, each on one host
    assert not suites.findall(".//failure") + suites.findall(".//error")
    with lab.backend.inspect() as state:
        assert state.site is not None
        names = [account.name for account in state.site.accounts]
    assert names == ["CONTOSO\\SMSClient2_TB1", "CONTOSO\\SMSClient3_TB1"]  # Q237759: two


def _tail(artifacts: Path) -> str:
    log = artifacts / "run.jsonl"
    return log.read_text()[-3000:] if log.exists() else ""


@pytest.mark.e2e
def test_a_scheduled_plan_of_a_recovery_against_a_healthy_site_has_nothing_pending(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """ci-plan.sh with a recovery playbook on a healthy site: exit 0, changes-pending false."""
    lab = lab_factory(scenario="healthy", clients=5, start_now=True)
    inventory = lab.write_inventory(tmp_path / "lab" / "inventory.yml")
    artifacts = tmp_path / "out"
    env = {
        "PLAYBOOK": "playbooks/smsman-reinstall.yml",
        "INVENTORY": str(inventory),
        "ARTIFACTS": str(artifacts),
        "ORCHESTRATOR_STATE_DIR": str(tmp_path / "state"),
    }
    planned = _script("ci-plan.sh", env, "-e", "poll_interval=1s")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert (artifacts / "changes-pending").read_text().strip() == "false"
    assert json.loads((artifacts / "plan.json").read_text())["changes_pending"] is False


def _checkout(repository: Path, dest: Path) -> Path:
    """A CI job's checkout of the repository: the playbooks and the inventory, copied."""
    for folder in ("playbooks", "inventory"):
        shutil.copytree(repository / folder, dest / folder)
    return dest


@pytest.mark.e2e
def test_a_plan_made_in_one_checkout_is_applied_in_another(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """ci-plan.sh in one job's checkout; its plan.json (the artifact) moved to another job's
    checkout at another path, the first one gone: ci-apply.sh there applies it (exit 0), and
    the run is in the state directory kept on the runner between the jobs, as docs/ci.md says."""
    lab = lab_factory(
        scenario="healthy", clients=5, start_now=True, success_interval=timedelta(seconds=3)
    )
    repository = tmp_path / "repository"
    shutil.copytree(ROOT / "playbooks", repository / "playbooks")
    lab.write_inventory(repository / "inventory" / "lab.yml")  # with its file: password
    planning = _checkout(repository, tmp_path / "runner-a" / "plan-job" / "checkout")
    applying = _checkout(repository, tmp_path / "runner-b" / "apply" / "workspace")
    state = tmp_path / "runner-state" / "orchestrator"  # persistent, outside every checkout
    env = {
        "PLAYBOOK": "playbooks/rotate-connection-account.yml",
        "INVENTORY": "inventory/lab.yml",
        "ARTIFACTS": "out",
        "ORCHESTRATOR_STATE_DIR": str(state),
    }

    planned = _script("ci-plan.sh", env, "-e", "poll_interval=1s", cwd=planning)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    plan_text = (planning / "out" / "plan.json").read_text()
    assert str(tmp_path) not in plan_text  # no path of the planning job's machine
    (applying / "out").mkdir()
    shutil.move(planning / "out" / "plan.json", applying / "out" / "plan.json")
    shutil.rmtree(tmp_path / "runner-a")  # the planning job's workspace is gone

    applied = _script("ci-apply.sh", env, cwd=applying)
    artifacts = applying / "out"
    assert applied.returncode == 0, applied.stdout + applied.stderr + _tail(artifacts)
    suites = ET.parse(artifacts / "run-junit.xml").getroot()
    assert len(suites.findall(".//testcase")) == 8
    assert not suites.findall(".//failure") + suites.findall(".//error")
    with lab.backend.inspect() as domain:
        assert domain.site is not None
        names = [account.name for account in domain.site.accounts]
    assert names == ["CONTOSO\\SMSClient2_TB1", "CONTOSO\\SMSClient3_TB1"]
    with Journal.open(state) as journal:
        assert [run.status for run in journal.runs()] == [RunStatus.SUCCEEDED]


# docs/ci.md: the fenced YAML of each CI system, checked against what its jobs need.


def _ci_yaml(section: str) -> dict[Any, Any]:
    """The first ```yaml block under the docs/ci.md heading `## section`, parsed."""
    text = CI_DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    block = body.split("```yaml\n", 1)[1].split("\n```", 1)[0]
    loaded = yaml.safe_load(block)
    assert isinstance(loaded, dict)
    return loaded


def _needed_credentials(inventory: Path) -> tuple[set[str], set[str]]:
    """The environment variables and the files the inventory's credentials are read from."""
    loaded = load_inventory(inventory)
    env = {c.password.env for c in loaded.credentials.values() if isinstance(c.password, EnvSource)}
    files = {
        c.password.file for c in loaded.credentials.values() if isinstance(c.password, FileSource)
    }
    return env, files


def _longest_run(playbook: Path) -> timedelta:
    """What the playbook's waits and windows can take at most, one after another (a wait
    inside a window ends by the window's deadline)."""
    doc = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    defaults = doc.get("vars") or {}

    def duration(value: object) -> timedelta:
        name = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", str(value).strip())
        return parse_duration(defaults[name[1]] if name else value)

    total = timedelta()
    for step in doc["steps"]:
        if "window" in step:
            total += duration(step["window"]["deadline"])
        elif "wait_for" in step:
            total += duration(step["wait_for"]["timeout"])
    return total


def _runs_orchestrator(lines: object) -> bool:
    return any(script in str(line) for line in _flat(lines) for script in SCRIPTS)


def _flat(lines: object) -> Iterator[object]:
    if isinstance(lines, list):
        for line in lines:
            yield from _flat(line)
    elif lines is not None:
        yield lines


def _check_state_dir(value: object) -> None:
    """A fixed directory on the runner host: not in the checkout, which each job cleans."""
    assert isinstance(value, str)
    assert value.startswith("/"), value
    assert "$" not in value, value


def test_each_github_job_that_runs_orchestrator_has_what_it_needs() -> None:
    """GitHub Actions: every credential of the inventory from the secret store, a state
    directory on the runner (no cache), a timeout; apply waits for plan in a protected
    environment, with a timeout above the playbook's waits plus a margin."""
    workflow = _ci_yaml("GitHub Actions")
    jobs: dict[str, Any] = workflow["jobs"]
    top: Mapping[str, Any] = workflow.get("env") or {}
    ran = set()
    for name, job in jobs.items():
        for step in job["steps"]:
            assert "actions/cache" not in str(step.get("uses", "")), f"{name}: no cache"
            if not _runs_orchestrator(step.get("run")):
                continue
            ran.add(name)
            env = {**top, **(job.get("env") or {}), **(step.get("env") or {})}
            needed, files = _needed_credentials(ROOT / env["INVENTORY"])
            for var in needed:
                assert re.fullmatch(r"\$\{\{ secrets\.\w+ \}\}", str(env.get(var))), (name, var)
            for file in files:
                assert any(file in str(s.get("run", "")) for s in job["steps"]), (name, file)
            _check_state_dir(env.get("ORCHESTRATOR_STATE_DIR"))
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: timeout-minutes"
    assert ran == {"plan", "apply"}
    apply = jobs["apply"]
    assert apply["needs"] in ("plan", ["plan"])
    assert apply.get("environment"), "apply runs in a protected environment"
    longest = _longest_run(ROOT / {**top, **(apply.get("env") or {})}["PLAYBOOK"])
    assert timedelta(minutes=apply["timeout-minutes"]) >= longest + MARGIN


def test_the_timeout_table_covers_every_shipped_playbook() -> None:
    """docs/ci.md's apply timeout for each playbook exceeds its waits and windows plus a margin."""
    rows = re.findall(
        r"^\| `([\w-]+\.yml)` \|.*\| (\d+) minutes[^|]*\|$",
        CI_DOC.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    shipped = sorted(p.name for p in (ROOT / "playbooks").glob("*.yml"))
    assert sorted(name for name, _ in rows) == shipped
    for name, minutes in rows:
        longest = _longest_run(ROOT / "playbooks" / name)
        assert timedelta(minutes=int(minutes)) >= longest + MARGIN, (name, longest)


def _gitlab_jobs(config: Mapping[Any, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(name): job
        for name, job in config.items()
        if isinstance(job, dict) and "script" in job and not str(name).startswith(".")
    }


def _in_pipeline(job: Mapping[str, Any], source: str) -> bool:
    """GitLab's rules for `$CI_PIPELINE_SOURCE == "..."` conditions: the first rule that
    matches decides; no rule matching leaves the job out; no rules keeps it in."""
    rules = job.get("rules")
    if rules is None:
        return True
    for rule in rules:
        condition = rule.get("if")
        if condition is None or source in _sources(condition):
            return bool(rule.get("when") != "never")
    return False


def _sources(condition: str) -> set[str]:
    found = set()
    for alternative in condition.split("||"):
        match = re.fullmatch(r'\s*\$CI_PIPELINE_SOURCE\s*==\s*"(\w+)"\s*', alternative)
        assert match, f"the test reads only pipeline-source conditions, not {condition!r}"
        found.add(match[1])
    return found


def test_gitlab_apply_needs_plan_in_every_pipeline_it_is_in_and_waits_for_approval() -> None:
    """GitLab CI: for each pipeline source (push too), a job's non-optional need is in the
    pipeline (else GitLab refuses to create it), and apply is there only with a plan; apply
    is manual, in an environment, serialised, with a timeout above the playbook's waits."""
    config = _ci_yaml("GitLab CI")
    jobs = _gitlab_jobs(config)
    for source in ("push", "merge_request_event", "schedule", "web", "api", "trigger"):
        present = {name for name, job in jobs.items() if _in_pipeline(job, source)}
        for name in present:
            for need in jobs[name].get("needs") or []:
                needed = need if isinstance(need, str) else need["job"]
                optional = isinstance(need, dict) and need.get("optional") is True
                assert needed in present or optional, (source, name, needed)
        assert "apply" not in present or "plan" in present, source
    apply = jobs["apply"]
    manual = apply.get("when") == "manual" or all(
        rule.get("when") in ("manual", "never") for rule in apply["rules"]
    )
    assert manual, "apply waits for someone to run it"
    assert apply.get("environment"), "apply runs in a protected environment"
    assert apply.get("resource_group"), "one apply at a time"
    top = config.get("variables") or {}
    longest = _longest_run(ROOT / {**top, **(apply.get("variables") or {})}["PLAYBOOK"])
    assert parse_duration(apply["timeout"]) >= longest + MARGIN


def test_each_gitlab_job_that_runs_orchestrator_has_what_it_needs() -> None:
    """GitLab CI: each job names every credential of the inventory (masked CI/CD variables,
    checked before anything runs), keeps the state directory on the runner (no cache), and
    has a timeout."""
    config = _ci_yaml("GitLab CI")
    top: Mapping[str, Any] = config.get("variables") or {}
    ran = set()
    for name, job in _gitlab_jobs(config).items():
        lines = [*_flat(job.get("before_script")), *_flat(job["script"])]
        if not _runs_orchestrator(lines):
            continue
        ran.add(name)
        variables = {**top, **(job.get("variables") or {})}
        needed, files = _needed_credentials(ROOT / variables["INVENTORY"])
        text = "\n".join(str(line) for line in lines)
        for var in needed:
            assert f'test -n "${var}"' in text, (name, var)
        for file in files:
            assert file in text, (name, file)
        _check_state_dir(variables.get("ORCHESTRATOR_STATE_DIR"))
        assert "cache" not in job, f"{name}: the state directory is not a cache"
        assert parse_duration(job["timeout"]) > timedelta(0), f"{name}: timeout"
    assert ran == {"plan", "apply"}
