"""The bench harness still works end to end: `python -m bench` on 3 hosts (numbers not judged).

Ansible runs in it only where ansible-core is installed (the bench extra, which `make test`
does not install): its checks are skipped elsewhere."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = [
    *("--sizes", "3", "--forks", "2", "--window-hosts", "3"),
    *("--capacity-processes", "2", "--capacity-hosts", "3", "--help-runs", "1", "--no-plot"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The harness run once on N = 3 against its own lab: (results.json, results.md)."""
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench", *SMALL, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((out / "results.json").read_text())
    return data, (out / "results.md").read_text()


pytestmark = pytest.mark.e2e


def _runs(data: dict[str, Any], tool: str, variant: str) -> list[dict[str, Any]]:
    return [r for r in data["runs"] if r["job"]["tool"] == tool and r["job"]["variant"] == variant]


@pytest.mark.parametrize("variant", ["nochange", "change"])
def test_one_row_per_size_with_a_ratio(results: tuple[dict[str, Any], str], variant: str) -> None:
    """Each table has one row, N = 3, and a positive engine/baseline ratio."""
    data, markdown = results
    rows = data["tables"][f"{variant}-forks2"]
    assert [row["n"] for row in rows] == [3]
    assert rows[0]["ratio"] > 0
    assert "| 3 |" in markdown
    assert markdown.count("| N | engine wall s") == 2
    assert rows[0]["ansible_ratio"] is None or rows[0]["ansible_ratio"] > 0


@pytest.mark.parametrize(("variant", "per_host_step"), [("nochange", 1.0), ("change", 2.0)])
def test_engine_and_baseline_send_the_same_pipelines(
    results: tuple[dict[str, Any], str], variant: str, per_host_step: float
) -> None:
    """The lab counts the same pipelines for both: 5 per host to probe, 10 when all change."""
    data, _ = results
    for tool in ("engine", "baseline"):
        (run,) = _runs(data, tool, variant)
        assert run["pipelines_per_host_step"] == pytest.approx(per_host_step), tool
        assert run["measured"]["returncode"] == 0
        assert run["measured"]["wall_s"] > 0
        assert run["measured"]["cpu_s"] > 0
        assert run["measured"]["peak_rss_mb"] > 10
        assert run["measured"]["peak_tree_mb"] >= run["measured"]["peak_rss_mb"]
        assert run["http_requests_per_host_step"] >= per_host_step


def test_each_step_alone_is_measured(results: tuple[dict[str, Any], str]) -> None:
    """Five one-step runs with nothing to change; each costs one pipeline per host."""
    data, _ = results
    costs = {r["job"]["variant"]: r["pipelines_per_host_step"] for r in data["step_costs"]}
    assert set(costs) == {
        "step:service",
        "step:registry",
        "step:admin description",
        "step:guest",
        "step:users member",
    }
    assert set(costs.values()) == {1}


def test_the_window_reverted_every_host(results: tuple[dict[str, Any], str]) -> None:
    """The window run reverted all 3 hosts, with its budget and revert time recorded."""
    window = results[0]["window"]
    assert window["complete"] is True
    assert window["undone"] == 3
    assert window["budget_s"] > 0
    assert 0 < window["revert_s"] < window["budget_s"]


def test_lab_capacity_and_machine_are_reported(results: tuple[dict[str, Any], str]) -> None:
    """Capacity (requests, pools) and the machine (cores, Python) are in the results."""
    data, markdown = results
    capacity = data["capacity"]
    assert capacity["http_requests"] > 0
    assert capacity["peak_open_shells"] >= 1
    assert data["machine"]["cores"] >= 1
    assert "## Machine" in markdown
    assert "## Targets" in markdown


@pytest.mark.skipif(
    importlib.util.find_spec("ansible") is None,
    reason="ansible-core is not installed (bench extra)",
)
@pytest.mark.parametrize(("variant", "per_host_step"), [("nochange", 1.0), ("change", 2.0)])
def test_ansible_runs_the_same_pipelines_as_a_third_column(
    results: tuple[dict[str, Any], str], variant: str, per_host_step: float
) -> None:
    """ansible-playbook's raw tasks reach the lab as the same pipelines per host x step, its
    whole process tree is measured, and the table has its wall time and Ansible / engine."""
    data, markdown = results
    (run,) = _runs(data, "ansible", variant)
    assert run["pipelines_per_host_step"] == pytest.approx(per_host_step)
    assert run["measured"]["returncode"] == 0
    assert run["measured"]["cpu_s"] > 0
    assert run["measured"]["peak_tree_mb"] > 10
    (row,) = data["tables"][f"{variant}-forks2"]
    assert row["ansible_ratio"] > 0
    assert "| Ansible / engine |" in markdown
    assert data["machine"]["packages"]["ansible-core"] != "not installed"
