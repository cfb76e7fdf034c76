"""`python -m bench`: run the benchmark, write bench/results/ (results.md, .json, scaling.png)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.machine import describe
from bench.report import to_json, to_markdown
from bench.suite import Config, Suite

RESULTS = Path(__file__).resolve().parent / "results"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _config(args: argparse.Namespace) -> Config:
    return Config(
        sizes=args.sizes,
        forks=args.forks,
        window_hosts=args.window_hosts,
        window_forks=max(args.forks),
        capacity_processes=args.capacity_processes,
        capacity_hosts=args.capacity_hosts,
        help_runs=args.help_runs,
        ansible=not args.no_ansible,
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the suite, write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", type=_ints, default=Config.sizes, help="e.g. 10,100,1000")
    parser.add_argument("--forks", type=_ints, default=Config.forks, help="e.g. 20,50")
    parser.add_argument("--window-hosts", type=int, default=Config.window_hosts)
    parser.add_argument("--capacity-processes", type=int, default=Config.capacity_processes)
    parser.add_argument("--capacity-hosts", type=int, default=Config.capacity_hosts)
    parser.add_argument("--help-runs", type=int, default=Config.help_runs)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the results go")
    parser.add_argument("--workdir", type=Path, help="scratch (default: a temporary directory)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG (no matplotlib)")
    parser.add_argument(
        "--no-ansible", action="store_true", help="leave Ansible out (it runs when installed)"
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: write results.md (and the plot) again from a results.json",
    )
    args = parser.parse_args(argv)
    if args.render is not None:
        return _render(args.render, args.out if args.out != RESULTS else args.render.parent, args)
    if not args.no_plot:  # fail now, not after the runs, when matplotlib is missing
        from bench.plot import plot  # pip install -e '.[bench]' (make bench does)
    machine = describe()
    with tempfile.TemporaryDirectory(prefix="orchestrator-bench-") as scratch:
        workdir = (args.workdir or Path(scratch)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        suite = Suite(_config(args), workdir, _say)
        try:
            results = suite.run()
        except Exception as exc:  # noqa: BLE001 -- keep what was measured, say what failed
            results = suite.results
            results.error = f"{type(exc).__name__}: {exc}"
            _say(f"stopped early: {results.error}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(to_json(results, machine))
    if not args.no_plot:
        plot(results, args.out / "scaling.png")
    (args.out / "results.md").write_text(to_markdown(results, machine))
    _say(f"results in {args.out / 'results.md'}")
    return 1 if results.error else 0


def _render(source: Path, out: Path, args: argparse.Namespace) -> int:
    """results.md (and scaling.png) from what a run measured, in today's layout."""
    from bench.load import results_from_json

    results, machine = results_from_json(source.read_text())
    out.mkdir(parents=True, exist_ok=True)
    if not args.no_plot:
        from bench.plot import plot

        plot(results, out / "scaling.png")
    (out / "results.md").write_text(to_markdown(results, machine))
    _say(f"results in {out / 'results.md'} (rendered from {source})")
    return 1 if results.error else 0


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
