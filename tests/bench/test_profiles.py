"""`python -m bench.profiles`: a py-spy raw profile summed per process role and library."""

from __future__ import annotations

from bench.profiles import summarise

MAIN = 'process 40:"python -m orchestrator run phase-a.yml"'
# py-spy --subprocesses: a process's parents come first; a forked worker shows the forkserver's
# command line
WORKER = f'{MAIN};process 41:"python -c from multiprocessing.forkserver import main; main(7, 9,'
WORKER += " ['__main__', 'orchestrator.transport.worker'])\""
LAB = 'process 39:"python -m bench.labproc --clients 200"'
RAW = "\n".join(
    [
        f"{WORKER};send (pypsrp/wsman.py:830);request (requests/sessions.py:500) 30",
        f"{WORKER};send (pypsrp/wsman.py:830);tostring (xml/etree/ElementTree.py:1100) 20",
        f"{WORKER};run (orchestrator/transport/worker.py:90) 50",
        f"{MAIN};emit (orchestrator/engine/events.py:80);info (structlog/_log.py:10) 7",
        f"{LAB};serialize (psrpcore/types/_serializer.py:50) 5",
        "not a sample line",
    ]
)


def test_samples_go_to_their_process_role_and_count_once_per_library() -> None:
    found = summarise(RAW)
    samples, per_library = found["worker"]
    assert samples == 100
    assert per_library["pypsrp"] == 50  # both pypsrp stacks, each once
    assert per_library["requests"] == 30
    assert per_library["ElementTree (stdlib XML)"] == 20
    assert per_library["orchestrator"] == 50
    assert found["main"] == (7, {"orchestrator": 7, "structlog": 7})
    assert found["lab"][0] == 5
    assert found["lab"][1]["psrpcore"] == 5
