"""``python -m benchmarks``: the benchmark harness, as ``pingzhan bench``."""

import argparse
import sys

from benchmarks.harness.cli import add_arguments, main

parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Pingzhan benchmark harness")
add_arguments(parser)
sys.exit(main(parser.parse_args()))
