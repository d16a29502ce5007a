"""``pingzhan drill``: run a scenario file on simulated time and write the after-action report."""

import argparse
import json
import sys
import time
from pathlib import Path

from api.drill.loader import ScenarioError, load_scenario, schema_text
from api.drill.progress import ProgressBar
from api.drill.report_html import report_html
from api.drill.summary import summary
from api.errors import InputError
from engine.drill import run_drill


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    drill = commands.add_parser(
        "drill", help="run a drill (演练) from a scenario file and write the after-action report"
    )
    drill.add_argument("scenario", nargs="?", help="scenario YAML file (see scenarios/README.md)")
    drill.add_argument(
        "--seed", type=int, default=0, help="responders' behaviour is drawn from this (default 0)"
    )
    drill.add_argument(
        "--out", help="write report.json, report.html and events.jsonl here (default: drill-NAME)"
    )
    drill.add_argument(
        "--progress", action="store_true", help="draw the progress bar even if stderr is no terminal"
    )
    drill.add_argument("--schema", action="store_true", help="print the JSON Schema of scenario files")
    drill.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.schema:
        sys.stdout.write(schema_text())
        return 0
    if not args.scenario:
        raise InputError("drill: give a scenario file (or --schema)")
    try:
        loaded = load_scenario(Path(args.scenario))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    scenario = loaded.scenario
    bar = ProgressBar(scenario.name) if args.progress or sys.stderr.isatty() else None
    started = time.perf_counter()
    result = run_drill(scenario, loaded.profile, loaded.maps, seed=args.seed, progress=bar, keep_log=True)
    wall_s = time.perf_counter() - started
    # Everything is made before anything is written: a failure leaves no half-written report.
    files = {
        "report.json": json.dumps(result.report, ensure_ascii=False, indent=2) + "\n",
        "report.html": report_html(result.report, wall_s),
        "events.jsonl": "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in result.engine.log),
    }
    out = Path(args.out) if args.out else Path(f"drill-{scenario.name}")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    sys.stdout.write(summary(result.report, wall_s) + "\n")
    sys.stdout.write(f"\n报告 report: {out / 'report.html'}  {out / 'report.json'}\n")
    for name in result.failed:
        sys.stderr.write(f"pingzhan: drill {scenario.name}: expectation failed 预期未达成: {name}\n")
    return 1 if result.failed else 0
