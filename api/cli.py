"""The ``pingzhan`` command: one subcommand per module in ``api.commands``."""

import argparse
import sys

from api.commands import bench, drill, match, serve, token
from api.errors import InputError

COMMANDS = (match, serve, token, bench, drill)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pingzhan", description="平战 Pingzhan: 应急资源调度引擎")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except InputError as exc:
        sys.stderr.write(f"pingzhan: {exc}\n")
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
