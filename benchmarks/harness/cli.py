"""Arguments shared by ``pingzhan bench`` and ``python -m benchmarks``."""

import argparse
import sys
from pathlib import Path

from benchmarks.harness import parse_sizes, run
from benchmarks.harness.report import markdown

RESULTS = Path(__file__).resolve().parent.parent / "results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="S,M,L,XL", help="comma-separated subset of S,M,L,XL")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="folder for bench.json, bench.md, bench.png"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events", type=int, help="events per size (default: each size's own count)")
    parser.add_argument(
        "--memory-replans",
        type=int,
        default=10_000,
        help="consecutive re-plans on S for the memory check (0: skip)",
    )


def _progress(line: str) -> None:
    sys.stderr.write(line + "\n")


def main(args: argparse.Namespace) -> int:
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        sys.stderr.write(f"bench: {exc}\n")
        return 2
    report = run(
        sizes,
        args.out,
        seed=args.seed,
        events=args.events,
        memory_replans=args.memory_replans,
        progress=_progress,
    )
    sys.stdout.write(markdown(report))
    return 0
