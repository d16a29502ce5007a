"""``pingzhan`` loads only what the chosen subcommand needs: asking for help never loads the solver, the
service, the benchmarks or matplotlib (they once made ``pingzhan match --help`` take seconds)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a fresh interpreter has loaded once `pingzhan ARGS` has parsed them (help exits the parse).
PROBE = """
import contextlib, io, json, sys
from api.cli import main
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
json.dump({"modules": sorted(sys.modules), "help": shown.getvalue()}, sys.stderr)
"""
SOLVER = ("ortools", "scipy", "engine.matching", "engine.drill")
SERVICE = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "api.app")
BENCH = ("benchmarks", "matplotlib")


def loaded(*argv: str) -> tuple[set[str], str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stderr)
    return set(probe["modules"]), probe["help"]


def heavy(modules: set[str], families: tuple[str, ...]) -> list[str]:
    """The modules of ``families`` (a package, or a module and its submodules: api.app is not api.appeal_*)."""
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in families))


@pytest.mark.parametrize("argv", [("match", "--help"), ("drill", "--help"), ("--help",)])
def test_help_loads_no_solver_service_or_benchmarks(argv: tuple[str, ...]) -> None:
    modules, shown = loaded(*argv)
    assert heavy(modules, SOLVER + SERVICE + BENCH) == []
    assert shown.startswith("usage: pingzhan")


def test_match_help_imports_no_other_subcommand() -> None:
    modules, shown = loaded("match", "--help")
    assert "api.commands.match" in modules
    assert {
        "api.commands.serve",
        "api.commands.token",
        "api.commands.bench",
        "api.commands.drill",
    }.isdisjoint(modules)
    assert "--solver {closest,optimal}" in shown and "--schema" in shown


def test_top_level_help_still_lists_every_subcommand() -> None:
    _, shown = loaded("--help")
    for name, words in {
        "match": "read a problem, write a plan",
        "serve": "run the live service",
        "token": "access tokens",
        "bench": "benchmark the matcher",
        "drill": "after-action report",
    }.items():
        line = next((line for line in shown.splitlines() if line.split()[:1] == [name]), "")
        assert words in " ".join(shown.split()), (name, shown)
        assert line, (name, shown)


def test_serve_help_loads_neither_the_app_nor_the_database() -> None:
    modules, shown = loaded("serve", "--help")
    assert heavy(modules, ("uvicorn", "sqlalchemy", "api.app", "engine.matching", *BENCH)) == []
    assert "--auth-failures-per-minute" in shown


@pytest.mark.parametrize("argv", [("match", "--schema"), ("drill", "--schema")])
def test_schema_loads_no_solver_runner_service_or_benchmarks(argv: tuple[str, ...]) -> None:
    modules, shown = loaded(*argv)
    # The schema needs the models only: not OR-Tools, the drill runner, the service or matplotlib.
    solvers = (
        "ortools",
        "engine.matching.optimal",
        "engine.matching.closest_available",
        "engine.drill.runner",
    )
    assert heavy(modules, solvers + SERVICE + BENCH) == []
    assert json.loads(shown)
