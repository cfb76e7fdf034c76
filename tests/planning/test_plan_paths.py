"""Plan files name their inputs relative to the working directory, so that a plan made in one
checkout (a CI job) applies in another; files outside the working directory stay absolute."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestrator.app.apply import Overrides, run_plan
from orchestrator.app.plan import plan_file
from orchestrator.app.preparation import Request, prepare
from orchestrator.app.reach import Credentials
from orchestrator.app.run import RunOptions
from orchestrator.commands import Connector
from orchestrator.errors import InputError, RefusedError
from orchestrator.inventory.model import Inventory
from orchestrator.planning.planfile import (
    PLAN_VERSION,
    local_path,
    portable_argument,
    portable_path,
    read_plan,
    write_plan,
)
from orchestrator.planning.planner import PlanResult

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = "playbooks/smsman-reinstall.yml"
INVENTORY = "inventory/example.yml"


class Reached(Exception):  # noqa: N818 -- a signal, not an error
    """Raised by the connector factory: the plan's inputs were accepted, hosts come next."""

    def __init__(self, inventory: Inventory) -> None:
        super().__init__(str(inventory.path))
        self.inventory = inventory


def _reach(inventory: Inventory, _credentials: Credentials) -> Connector:
    raise Reached(inventory)


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example inventory's two env: credentials, as CI sets them."""
    monkeypatch.setenv("ORCH_ADMIN_PASSWORD", "admin-canary")
    monkeypatch.setenv("ORCH_CLIENT_PASSWORD", "client-canary")


def _workspace(path: Path) -> Path:
    """A checkout: the shipped playbook, the example inventory, a vars file and a limit file."""
    (path / "playbooks").mkdir(parents=True)
    (path / "inventory").mkdir()
    shutil.copy(ROOT / PLAYBOOK, path / PLAYBOOK)
    shutil.copy(ROOT / INVENTORY, path / INVENTORY)
    (path / "vars.yml").write_text("poll_interval: 2s\n")
    (path / "hosts.txt").write_text("site1\ndc1\nwks001\n")
    return path


def _save_plan(cwd: Path, request: Request) -> Path:
    """Plan (with no predictions: no host is needed for the paths) and save it under cwd."""
    prepared = prepare(request, interactive=False)
    saved = cwd / "out" / "plan.json"
    write_plan(plan_file(request, prepared, PlanResult()), saved)
    return saved


def test_a_path_inside_the_working_directory_is_kept_relative_with_slashes(
    tmp_path: Path,
) -> None:
    """Relative or absolute, inside the working directory: relative; outside: absolute."""
    cwd = tmp_path / "checkout"
    (cwd / "playbooks").mkdir(parents=True)
    assert portable_path(Path("playbooks/a.yml"), cwd) == "playbooks/a.yml"
    assert portable_path(cwd / "playbooks" / "a.yml", cwd) == "playbooks/a.yml"
    assert portable_path(Path("x/../playbooks/a.yml"), cwd) == "playbooks/a.yml"
    assert portable_path(Path("../shared/a.yml"), cwd) == str(tmp_path.resolve() / "shared/a.yml")
    assert portable_path(Path("/etc/orchestrator/a.yml"), cwd) == "/etc/orchestrator/a.yml"
    assert local_path("playbooks/a.yml", tmp_path / "other") == tmp_path / "other/playbooks/a.yml"
    assert local_path("/etc/orchestrator/a.yml", tmp_path) == Path("/etc/orchestrator/a.yml")
    assert portable_argument(f"@{cwd}/vars.yml", cwd) == "@vars.yml"
    assert portable_argument("poll_interval=2s", cwd) == "poll_interval=2s"
    assert portable_argument("site_server:&dc1", cwd) == "site_server:&dc1"


def test_a_path_reached_through_a_symlink_in_the_workspace_stays_as_typed(tmp_path: Path) -> None:
    """A symlinked folder of the checkout is named as typed: the other checkout has it too."""
    cwd = tmp_path / "checkout"
    (tmp_path / "shared").mkdir()
    cwd.mkdir()
    (cwd / "playbooks").symlink_to(tmp_path / "shared")
    assert portable_path(Path("playbooks/a.yml"), cwd) == "playbooks/a.yml"


def test_the_plan_file_names_its_inputs_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Playbook, inventory, -e @file and --limit @file: relative; a file outside: absolute."""
    cwd = _workspace(tmp_path / "job1" / "checkout")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "site.yml").write_text("site_code: TB1\n")
    monkeypatch.chdir(cwd)
    request = Request(
        cwd / PLAYBOOK,  # absolute, inside the working directory
        Path(INVENTORY),
        ("@vars.yml", f"@{cwd}/vars.yml", "@../../shared/site.yml", "poll_interval=1s"),
        f"@{cwd}/hosts.txt",
    )
    text = _save_plan(cwd, request).read_text()
    saved = json.loads(text)
    assert saved["version"] == PLAN_VERSION == 2
    assert saved["playbook"]["path"] == PLAYBOOK
    assert saved["inventory"]["path"] == INVENTORY
    outside = str((tmp_path / "shared" / "site.yml").resolve())
    assert saved["extra_vars"] == ["@vars.yml", "@vars.yml", f"@{outside}", "poll_interval=1s"]
    assert saved["limit"] == "@hosts.txt"
    assert str(cwd) not in text


def test_a_plan_moved_to_another_checkout_is_applied_from_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planned in one directory, that directory gone, applied in another: inputs accepted,
    read from the second checkout (the hosts come next)."""
    first = _workspace(tmp_path / "job1" / "checkout")
    monkeypatch.chdir(first)
    request = Request(Path(PLAYBOOK), Path(INVENTORY), ("@vars.yml",), "@hosts.txt")
    saved = _save_plan(first, request)
    second = _workspace(tmp_path / "job2" / "work")
    (second / "out").mkdir()
    shutil.move(saved, second / "out" / "plan.json")
    monkeypatch.chdir(second)
    shutil.rmtree(tmp_path / "job1")

    with pytest.raises(Reached) as reached:
        run_plan(Path("out/plan.json"), Overrides(), RunOptions(yes=True), factory=_reach)
    assert Path(reached.value.inventory.path).resolve() == (second / INVENTORY).resolve()
    assert {h.name for h in reached.value.inventory.hosts} == {"site1", "dc1", "wks001"}

    same = Overrides(second / PLAYBOOK, Path(INVENTORY), None, f"@{second}/hosts.txt")
    with pytest.raises(Reached):
        run_plan(Path("out/plan.json"), same, RunOptions(yes=True), factory=_reach)


def test_an_input_changed_in_the_applying_checkout_is_refused_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest is checked against the file in the applying checkout: a change is refused."""
    first = _workspace(tmp_path / "job1" / "checkout")
    monkeypatch.chdir(first)
    saved = _save_plan(first, Request(Path(PLAYBOOK), Path(INVENTORY)))
    second = _workspace(tmp_path / "job2" / "work")
    with (second / PLAYBOOK).open("a") as playbook:
        playbook.write("# edited after planning\n")
    monkeypatch.chdir(second)
    with pytest.raises(RefusedError, match=r"playbook .*playbooks/smsman-reinstall\.yml changed"):
        run_plan(saved, Overrides(), RunOptions(yes=True), factory=_reach)
    (second / PLAYBOOK).unlink()
    with pytest.raises(RefusedError, match=r"is gone"):
        run_plan(saved, Overrides(), RunOptions(yes=True), factory=_reach)


@pytest.mark.parametrize(
    ("version", "said"),
    [(1, "older orchestrator"), (PLAN_VERSION + 1, "newer orchestrator"), ("2", "version")],
)
def test_a_plan_file_of_another_version_says_which_and_what_to_do(
    tmp_path: Path, version: object, said: str
) -> None:
    """A version-1 plan (absolute paths) or a newer one: an input error saying so and what to do."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format": "orchestrator-plan", "version": version}))
    with pytest.raises(InputError, match=said) as info:
        read_plan(path)
    assert "plan again" in info.value.problems[0].hint
