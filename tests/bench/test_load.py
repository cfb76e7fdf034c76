"""`python -m bench --render`: results.json read back gives the same results.md, so a report
layout can change without an hour of measuring again (bench/load.py)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main
from bench.capacity import Capacity
from bench.load import results_from_json
from bench.report import to_json, to_markdown
from bench.suite import Config, Results
from bench.window_revert import RevertTiming

from .made_runs import HOSTS, made_run

MACHINE: dict[str, object] = {"cores": 2, "cpu": "test", "packages": {}, "revision": "abc1234"}
SMALL = tuple(f"wks{i}" for i in range(200))


def _results() -> Results:
    results = Results(Config(sizes=(200, 1000), forks=(50,)), help_s=[0.2, 0.3])
    for variant in ("nochange", "change"):
        for hosts in (SMALL, HOSTS):
            results.runs += [
                made_run(
                    "engine", 40.0, 45.0, lab_cpu=15.0, http=17000, variant=variant, hosts=hosts
                ),
                made_run("baseline", 60.0, 55.0, variant=variant, hosts=hosts),
                made_run("ansible", 200.0, 300.0, variant=variant, hosts=hosts),
            ]
    results.step_costs = [made_run("engine", 1.0, 1.0, variant="step:service", hosts=SMALL)]
    results.window = RevertTiming(1000, 50, 720.0, "waves", 80.0, 16.6, True, 1000)
    results.window_run = made_run("engine", 96.0, 99.0, variant="window")
    results.capacity = Capacity(3, 100, 50, 10.0, 5000, 1200, 6.0, 1.0, 0.1, 300)
    results.lab_start_s, results.lab_clients = 0.6, 1000
    return results


def test_results_json_read_back_writes_the_same_markdown() -> None:
    results = _results()
    again, machine = results_from_json(to_json(results, MACHINE))
    assert machine == MACHINE
    assert to_markdown(again, machine) == to_markdown(results, MACHINE)


def test_render_writes_results_md_next_to_the_json(tmp_path: Path) -> None:
    source = tmp_path / "results.json"
    source.write_text(to_json(_results(), MACHINE))
    assert main(["--render", str(source), "--no-plot"]) == 0
    written = (tmp_path / "results.md").read_text()
    assert written == to_markdown(_results(), MACHINE)
    assert json.loads(source.read_text())["lab_clients"] == 1000
