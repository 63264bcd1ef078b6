"""`python -m bench [NAME ...] [--quick] [--no-write]`: run the benchmarks, print the figures,
and write docs/performance.md from this run's results (plus build/bench/results.json).

NAME is any of: scoring, cli, cold-start, size, http (default: all, in that order). Writing the
page needs all five; with a subset, or --quick (fewer calls, for a smoke check), nothing is
written.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from bench import cli_scorer, cold_start, footprint, http_load, machine, report, scoring

BENCHMARKS: dict[str, Callable[[bool], dict]] = {
    "scoring": scoring.run,
    "cli": cli_scorer.run,
    "cold-start": cold_start.run,
    "size": footprint.run,
    "http": http_load.run,
}
RESULTS_FILE = machine.REPO_ROOT / "build" / "bench" / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run, any of {', '.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer calls: a smoke check")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--out", type=Path, default=report.PAGE, help="markdown page to write")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")

    results: dict = {"machine": machine.describe(), "quick": args.quick}
    m = results["machine"]
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"load {m['load_before'][0]:.2f}; commit {m['git_commit']}"
    )
    started = time.perf_counter()
    for name in names:
        print(f"\n== {name}")
        results[name] = BENCHMARKS[name](args.quick)
    results["machine"]["load_after"] = machine.load_average()
    results["machine"]["bench_seconds"] = round(time.perf_counter() - started)
    print(
        f"\nload average after the run: {results['machine']['load_after'][0]:.2f} "
        f"({results['machine']['bench_seconds']} s)"
    )

    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2, default=str))
    if set(names) == set(BENCHMARKS) and not args.quick and not args.no_write:
        args.out.write_text(report.render(results))
        print(f"wrote {args.out.relative_to(machine.REPO_ROOT)} and {RESULTS_FILE.name}")
    print()
    print(report.targets_text(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
