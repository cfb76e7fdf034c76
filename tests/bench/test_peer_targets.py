"""A missed target of issue 13 says by how much and what stands in the way, from the run's
own numbers (bench/peer_targets.py); a target that holds says only that."""

from __future__ import annotations

from bench.peer_targets import cpu_floor, peer_targets, request_floor
from bench.suite import Config, Results

from .made_runs import made_run as _run


def test_a_missed_ansible_ratio_names_the_cpu_that_stands_in_the_way() -> None:
    """Ansible 200 s, engine 40 s: 20 s wanted; 60 s of CPU on 2 cores is 30 s at the least,
    so a third less CPU is needed."""
    engine = _run("engine", 40.0, 45.0, lab_cpu=15.0, http=17000)
    text = cpu_floor(engine, _run("ansible", 200.0, 300.0), 10.0, cores=2)
    assert "took 40.0 s, the target asks 20.0 s (50% less)" in text
    assert "60.0 s of CPU on 2 cores is 30.0 s of wall at the least" in text
    assert "33% less CPU" in text


def test_a_cpu_floor_within_the_target_says_the_rest_is_waiting() -> None:
    engine = _run("engine", 40.0, 10.0, lab_cpu=5.0, http=17000)
    text = cpu_floor(engine, _run("ansible", 200.0, 300.0), 10.0, cores=2)
    assert "within the target: the rest is waiting" in text
    assert "less CPU" not in text


def test_a_missed_request_target_breaks_a_host_down_by_action() -> None:
    """17 requests a host: 13 with SOAP, 4 without; 5 pipelines take 10, 7 are fixed."""
    text = request_floor(_run("engine", 30.0, 30.0, http=17000))
    assert "per host 5.0 Command, 1.0 Create, 1.0 Delete, 6.0 Receive and 4.0 without" in text
    assert "beyond its pipelines' two each is 7.0 requests, 1.40 per step" in text
    assert "the target leaves 0.5 per step" in text


def test_only_missed_targets_carry_an_explanation() -> None:
    """At 1,000 hosts: Ansible 10x holds (no CPU text), requests 3.4 missed (broken down)."""
    results = Results(Config(sizes=(1000,), forks=(50,)))
    engine = _run("engine", 20.0, 30.0, lab_cpu=10.0, http=17000)
    results.runs = [engine, _run("baseline", 40.0, 40.0), _run("ansible", 200.0, 300.0)]
    lines = list(peer_targets(results, cores=2))
    ansible = next(line for line in lines if line.startswith("- Ansible / engine"))
    assert ansible.endswith(": 10.00: holds")
    requests = next(line for line in lines if line.startswith("- HTTP requests"))
    assert ": 3.40: **missed**; per host" in requests
    pypsrp = next(line for line in lines if line.startswith("- engine / pypsrp"))
    assert pypsrp.endswith(": 0.50: holds")
