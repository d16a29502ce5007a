"""``pingzhan bench``: matching latency, scaling and decision quality against the baselines, in one run."""

import argparse

from benchmarks.harness.cli import add_arguments, main


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    bench = commands.add_parser("bench", help="benchmark the matcher at sizes S, M, L, XL against baselines")
    add_arguments(bench)
    bench.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return main(args)
