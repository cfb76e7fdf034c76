"""Summarise a py-spy raw profile (`py-spy record -f raw`): where the engine's threads are.

    python -m bench.profiles engine.raw

Each sample is one thread at one moment. A sample is put in the first bucket whose marker
appears in its stack (outermost first in BUCKETS' order), so "waiting for the event bus"
means a worker blocked in `EventBus.emit` while another thread held the bus.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# (bucket, marker in the stack): the first that matches wins
BUCKETS = (
    ("journal write (holding the event bus)", "Journal.record_event"),
    ("event bus: other observers (logs, report)", "Observer.__call__"),
    ("event bus: waiting for the bus lock", "EventBus.emit"),
    ("pypsrp / requests (the WinRM exchange)", "(pypsrp/"),
    ("run lock heartbeat", "RunLock._beat"),
    ("engine: steps (templating, modules, diff)", "HostStepRunner"),
    ("start-up: imports, loading, binding", "(orchestrator/"),
)
_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")


def summarise(raw: str) -> tuple[int, Counter[str]]:
    """(samples, samples per bucket)."""
    buckets: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        count = int(found["count"])
        total += count
        stack = found["stack"]
        bucket = next((name for name, marker in BUCKETS if marker in stack), "other")
        buckets[bucket] += count
    return total, buckets


def main() -> None:
    """Print each bucket's share of the samples."""
    total, buckets = summarise(Path(sys.argv[1]).read_text())
    print(f"{total} samples")
    for name, count in buckets.most_common():
        print(f"{100 * count / max(total, 1):5.1f}%  {name}")


if __name__ == "__main__":
    main()
