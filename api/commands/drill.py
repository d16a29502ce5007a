"""``pingzhan drill``: run a scenario file on simulated time and write the after-action report.

With ``--seeds`` each seed is run and the report gives the mean and spread over them, every expectation
judged on every seed. Only argparse, sys and pathlib are imported here: the drill, its report and
matplotlib are imported when the subcommand runs, so ``pingzhan`` starts fast.
"""

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.drill.loader import Loaded
    from api.drill.progress import ProgressBar


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    drill = commands.add_parser(
        "drill", help="run a drill (演练) from a scenario file and write the after-action report"
    )
    drill.add_argument("scenario", nargs="?", help="scenario YAML file (see scenarios/README.md)")
    drill.add_argument(
        "--seed", type=int, default=None, help="responders' behaviour is drawn from this (default 0)"
    )
    drill.add_argument(
        "--seeds",
        metavar="SPEC",
        help="run each of these seeds (0-9, 3, 0,2,5 or 0-4,7) and report the mean and spread over them; "
        "each seed's own report goes to seed-N/",
    )
    drill.add_argument(
        "--out", help="write report.json, report.html and events.jsonl here (default: drill-NAME)"
    )
    drill.add_argument(
        "--compress",
        action="store_true",
        help="write the events as events.jsonl.gz (read it line by line with zcat)",
    )
    drill.add_argument(
        "--progress", action="store_true", help="draw the progress bar even if stderr is no terminal"
    )
    drill.add_argument("--schema", action="store_true", help="print the JSON Schema of scenario files")
    drill.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from api.drill.loader import ScenarioError, load_scenario, schema_text
    from api.errors import InputError

    if args.schema:
        sys.stdout.write(schema_text())
        return 0
    if not args.scenario:
        raise InputError("drill: give a scenario file (or --schema)")
    seeds = None
    if args.seeds is not None:
        from engine.drill.seeds import parse_seeds

        if args.seed is not None:
            raise InputError("drill: give --seed or --seeds, not both (--seeds 3 runs seed 3 alone)")
        try:
            seeds = parse_seeds(args.seeds)
        except ValueError as exc:
            raise InputError(f"drill: --seeds: 种子写法不对 {exc}") from None
    try:
        loaded = load_scenario(Path(args.scenario))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    out = Path(args.out) if args.out else Path(f"drill-{loaded.scenario.name}")
    import gc

    # What is loaded (the map, the scenario, the modules) lives until the end: the collector need not walk it
    # again at every full collection of a long drill.
    gc.freeze()
    if seeds is None:
        return _one(loaded, 0 if args.seed is None else args.seed, out, args.progress, args.compress)
    return _many(loaded, seeds, out, args.progress, args.compress)


def _bar(title: str, wanted: bool) -> "ProgressBar | None":
    from api.drill.progress import ProgressBar

    return ProgressBar(title) if wanted or sys.stderr.isatty() else None


def _seed_files(result: Any, wall_s: float, compress: bool) -> dict[str, str | bytes]:
    import json

    from api.drill.events_file import events_bytes, events_name
    from api.drill.report_html import report_html

    return {
        "report.json": json.dumps(result.report, ensure_ascii=False, indent=2) + "\n",
        "report.html": report_html(result.report, wall_s),
        events_name(compress): events_bytes(result.engine.log, compress),
    }


def _write(out: Path, files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def _one(loaded: "Loaded", seed: int, out: Path, progress: bool, compress: bool) -> int:
    import time

    from api.drill.summary import summary
    from engine.drill import run_drill

    scenario = loaded.scenario
    started = time.perf_counter()
    result = run_drill(
        scenario,
        loaded.profiles,
        loaded.maps,
        seed=seed,
        progress=_bar(scenario.name, progress),
        keep_log=True,
    )
    wall_s = time.perf_counter() - started
    # Everything is made before anything is written: a failure leaves no half-written report.
    files = _seed_files(result, wall_s, compress)
    _write(out, files)
    sys.stdout.write(summary(result.report, wall_s) + "\n")
    sys.stdout.write(f"\n报告 report: {out / 'report.html'}  {out / 'report.json'}\n")
    for name in result.failed:
        sys.stderr.write(f"pingzhan: drill {scenario.name}: expectation failed 预期未达成: {name}\n")
    return 1 if result.failed else 0


def _many(loaded: "Loaded", seeds: list[int], out: Path, progress: bool, compress: bool) -> int:
    import json
    import time

    from api.drill.progress import PHASE_ZH
    from api.drill.report_html import seeds_html
    from api.drill.summary import seeds_summary
    from engine.drill import run_drill
    from engine.drill.seeds import aggregate

    scenario = loaded.scenario
    bar = _bar(scenario.name, progress)
    files: dict[str, str | bytes] = {}
    reports = []
    started = time.perf_counter()
    for k, seed in enumerate(seeds):

        def tell(phase: str, fraction: float, k: int = k, seed: int = seed) -> None:
            if bar is not None:
                bar(f"种子 seed {seed} {PHASE_ZH.get(phase, phase)}", (k + fraction) / len(seeds))

        seed_started = time.perf_counter()
        result = run_drill(scenario, loaded.profiles, loaded.maps, seed=seed, progress=tell, keep_log=True)
        seed_files = _seed_files(result, time.perf_counter() - seed_started, compress)
        files.update({f"seed-{seed}/{name}": text for name, text in seed_files.items()})
        reports.append(result.report)
    summary = aggregate(reports)
    wall_s = time.perf_counter() - started
    files["report.json"] = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    files["report.html"] = seeds_html(summary, wall_s)
    # Written only once every seed has run: a failure leaves no half-written report.
    _write(out, files)
    sys.stdout.write(seeds_summary(summary, wall_s) + "\n")
    sys.stdout.write(
        f"\n报告 report: {out / 'report.html'}  {out / 'report.json'}\n"
        f"每个种子的报告 each seed's report: {out / 'seed-N'}/ (N = {', '.join(map(str, seeds))})\n"
    )
    for e in summary["expectations"]:
        if e["failed_seeds"]:
            where = ", ".join(map(str, e["failed_seeds"]))
            sys.stderr.write(
                f"pingzhan: drill {scenario.name}: expectation failed 预期未达成 on seeds {where}: {e['name']}\n"
            )
    return 0 if summary["passed"] else 1
