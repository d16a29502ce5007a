"""``pingzhan bench``: matching latency, scaling and decision quality against the baselines, in one run."""

import argparse

from benchmarks.harness.cli import add_arguments, main


def arguments(bench: argparse.ArgumentParser) -> None:
    add_arguments(bench)


def run(args: argparse.Namespace) -> int:
    return main(args)
