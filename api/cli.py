"""The ``pingzhan`` command: one subcommand per module in ``api.commands``.

Only the chosen subcommand's module is imported. Their imports differ by seconds — the live service loads
FastAPI and SQLAlchemy, the benchmarks matplotlib — and ``pingzhan match`` should not wait for any of them.
The others are listed by name and help text alone, so ``pingzhan --help`` still shows every subcommand.

A command module has ``arguments(parser)``, which adds its options and imports nothing heavy, and
``run(args)``, which returns the exit code and imports what the run needs. A module that adds its own
subparser instead (``register(commands)``, as ``drill`` still does) is called that way.
"""

import argparse
import importlib
import sys
from dataclasses import dataclass

from api.errors import InputError


@dataclass(frozen=True)
class Command:
    module: str
    help: str


COMMANDS = {
    "match": Command("api.commands.match", "match needs to resources: read a problem, write a plan"),
    "serve": Command("api.commands.serve", "run the live service: REST, websockets, OpenAPI docs at /docs"),
    "token": Command("api.commands.token", "create, list and revoke access tokens"),
    "bench": Command("api.commands.bench", "benchmark the matcher at sizes S, M, L, XL against baselines"),
    "drill": Command(
        "api.commands.drill",
        "run a drill (演练) from a scenario file and write the after-action report",
    ),
}


def parser_for(argv: list[str]) -> argparse.ArgumentParser:
    """The parser for ``argv``: the subcommand it names in full, every other one by name and help."""
    parser = argparse.ArgumentParser(prog="pingzhan", description="平战 Pingzhan: 应急资源调度引擎")
    commands = parser.add_subparsers(dest="command", required=True)
    chosen = argv[0] if argv else None
    for name, command in COMMANDS.items():
        if name != chosen:
            commands.add_parser(name, help=command.help)
            continue
        module = importlib.import_module(command.module)
        if hasattr(module, "arguments"):
            sub = commands.add_parser(name, help=command.help, description=command.help)
            module.arguments(sub)
            sub.set_defaults(run=module.run)
        else:
            module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser_for(argv).parse_args(argv)
    try:
        code: int = args.run(args)
    except InputError as exc:
        sys.stderr.write(f"pingzhan: {exc}\n")
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
