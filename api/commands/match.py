"""``pingzhan match``: read a problem file, write a plan.

The solver (OR-Tools, SciPy, NumPy), the models and the profiles are imported when the subcommand runs, not
here, so ``pingzhan match --help`` answers at once.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from api.errors import InputError, describe_validation

if TYPE_CHECKING:
    from engine.matching import Solver
    from engine.model.plan import Plan

SOLVER_NAMES = ("closest", "optimal")


def arguments(match: argparse.ArgumentParser) -> None:
    match.add_argument("problem", nargs="?", help="problem JSON file")
    match.add_argument("-o", "--output", help="write the plan JSON here (default: standard output)")
    match.add_argument("--profile", help="governance profile: a shipped name or a YAML file")
    match.add_argument("--solver", choices=SOLVER_NAMES, default="optimal")
    match.add_argument("--table", action="store_true", help="print a readable table instead of JSON")
    match.add_argument("--schema", action="store_true", help="print the JSON Schema of problem and plan")


def run(args: argparse.Namespace) -> int:
    if args.schema:
        return _schema()
    if not args.problem:
        raise InputError("match: give a problem file (or --schema)")
    from api.table import plan_table
    from engine.matching import ClosestAvailable, OptimalMatcher

    solver: Solver = OptimalMatcher() if args.solver == "optimal" else ClosestAvailable()
    plan = _solve_file(Path(args.problem), args.profile, solver)
    text = plan.model_dump_json(indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    if args.table:
        sys.stdout.write(plan_table(plan) + "\n")
    elif not args.output:
        sys.stdout.write(text + "\n")
    return 0


def _schema() -> int:
    from engine.matching.document import ProblemDocument
    from engine.model.plan import Plan

    schema = {"problem": ProblemDocument.model_json_schema(by_alias=True), "plan": Plan.model_json_schema()}
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return 0


def _solve_file(path: Path, profile_arg: str | None, solver: "Solver") -> "Plan":
    from api.profiles import find_profile
    from engine.matching import SolveParams
    from engine.matching.document import ProblemDocument
    from engine.rules import ProfileError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        document = ProblemDocument.model_validate_json(text)
    except ValidationError as exc:
        raise InputError(_json_or_field_error(path, text, exc)) from None
    osm_data = None
    if document.travel.osm is not None:
        osm_path = path.parent / document.travel.osm.path
        try:
            osm_data = osm_path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: travel.osm.path: cannot read {osm_path}: {exc.strerror}") from None
    name = profile_arg or (document.community.profile if document.community else None)
    try:
        profile = find_profile(name) if name else None
        graph = document.road_graph(osm_data)
        problem = document.problem(graph, profile)
    except ProfileError as exc:
        raise InputError(str(exc)) from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    return solver.solve(problem, SolveParams(stopwatch=time.perf_counter))


def _json_or_field_error(path: Path, text: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        try:
            json.loads(text)
        except json.JSONDecodeError as bad:
            return f"{path}:{bad.lineno}:{bad.colno}: not valid JSON: {bad.msg}"
    return describe_validation(str(path), exc)
