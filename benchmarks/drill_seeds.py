"""Every shipped scenario over seeds 0–9: the engine beside closest-available, mean and min–max per scenario.

Run: ``python -m benchmarks.drill_seeds`` (options: ``--seeds 0-9``, ``--jobs 2``, ``--out DIR``, scenario
files as arguments). Writes drill_seeds.json (each scenario's aggregate, as ``pingzhan drill --seeds``
writes it) and drill_seeds.md (the table for the README) to benchmarks/results, and prints the table.
Seeded and simulated: the same engine gives the same figures on any machine; only the wall time varies.
"""

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
SCENARIOS = ROOT / "scenarios"


@cache
def _loaded(path: str) -> Any:
    from api.drill.loader import load_scenario

    return load_scenario(Path(path))


def _one(job: tuple[str, int]) -> dict[str, Any]:
    """One scenario at one seed, in a worker process: its report (plain data, cheap to send back)."""
    from engine.drill import run_drill

    path, seed = job
    loaded = _loaded(path)
    return run_drill(loaded.scenario, loaded.profiles, loaded.maps, seed=seed).report


def sweep(paths: list[Path], seeds: list[int], jobs: int) -> dict[str, Any]:
    """Each scenario's aggregate over ``seeds``, keyed by scenario name, in file order."""
    from engine.drill.seeds import aggregate

    work = [(str(path), seed) for path in paths for seed in seeds]
    if jobs > 1:
        # Whole drills per process: each takes a second or so, so sending reports back costs little.
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            reports = list(pool.map(_one, work))
    else:
        reports = [_one(job) for job in work]
    by_scenario: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for report in reports:
        by_scenario[report["scenario"]["name"]].append(report)
    return {name: aggregate(group) for name, group in by_scenario.items()}


def table(scenarios: dict[str, Any]) -> str:
    """Markdown: engine beside baseline, mean (min–max) over the seeds."""
    from api.drill.rows import spread_text

    header = [
        "scenario",
        "seeds",
        "late arrivals: engine",
        "baseline",
        "life-safety p90 (min): engine",
        "baseline",
        "life-safety reached: engine",
        "baseline",
        "life-safety in time: engine",
        "baseline",
        "churn: engine",
        "baseline",
        "expectations hold: engine",
        "baseline",
    ]
    lines = [_row(header), _row(["---"] + ["---:"] * (len(header) - 1), tight=True)]
    for name, agg in scenarios.items():
        m = agg["metrics"]
        n = agg["n"]
        needs = m["life_safety_needs"]["engine"]["max"]
        cells = [name, str(n)]
        for key, fmt in (
            ("late", "count"),
            ("life_safety_p90_s", "minutes"),
            ("life_safety_reached", "count"),
            ("life_safety_in_time", "count"),
            ("churn", "count"),
        ):
            suffix = f" / {needs}" if key.startswith("life_safety_") and key != "life_safety_p90_s" else ""
            cells += [spread_text(m[key][run], fmt) + suffix for run in ("engine", "baseline")]
        cells += [f"{_all_hold(agg, 'failed_seeds')}/{n}", f"{_all_hold(agg, 'baseline_failed_seeds')}/{n}"]
        lines.append(_row(cells))
    lines += [
        "",
        "Mean over the seeds, min–max in brackets. In time: first unit on site within the profile's response "
        "target for the need's priority; late: past it or never reached. A need never reached counts in the "
        "p90 at the time from its report to the end of the drill. Churn: units moved from one need to another "
        "between consecutive plans. Expectations hold: seeds on which every expectation of the scenario holds.",
    ]
    streets = {name: agg for name, agg in scenarios.items() if "sharing" in agg}
    if streets:
        lines += ["", street_table(streets)]
    return "\n".join(lines) + "\n"


def street_table(scenarios: dict[str, Any]) -> str:
    """Markdown for streets: life-safety in time with the street and with each community alone, engine and
    baseline; what crossed between communities and what the escalations brought (engine)."""
    from api.drill.rows import spread_text

    header = [
        "street scenario",
        "seeds",
        "life-safety in time: engine, street",
        "engine, alone",
        "baseline, street",
        "baseline, alone",
        "late arrivals: engine, street",
        "engine, alone",
        "cross-community dispatches (engine, by rule)",
        "escalations answered (engine, all seeds)",
    ]
    lines = [_row(header), _row(["---"] + ["---:"] * 7 + ["---"] * 2, tight=True)]
    for name, agg in scenarios.items():
        m = agg["metrics"]
        sides = {"street": m, "alone": m["alone"]}
        needs = m["life_safety_needs"]["engine"]["max"]
        cells = [name, str(agg["n"])]
        cells += [
            f"{spread_text(sides[side]['life_safety_in_time'][run])} / {needs}"
            for run in ("engine", "baseline")
            for side in ("street", "alone")
        ]
        cells += [spread_text(sides[side]["late"]["engine"]) for side in ("street", "alone")]
        cross = agg["sharing"]["street"]["engine"]["cross_community"]
        rules = ", ".join(f"{rule} {spread_text(stats)}" for rule, stats in cross["by_rule"].items())
        cells.append(f"{spread_text(cross['dispatches'])} ({rules})" if rules else "0")
        answers = agg["sharing"]["street"]["engine"]["escalation_answers"]
        cells.append(
            "; ".join(f"{kind} {n['needs']} ({n['served']} served)" for kind, n in answers.items()) or "none"
        )
        lines.append(_row(cells))
    lines += [
        "",
        "A street's drill is run again with each community alone: its own pool only, no street pool, no "
        "lending, the same seed (the same people). Cross-community dispatches: units sent to a need of "
        "another community than their own or from the street's pool, by the sharing rule that let them go "
        "(street_pool, lend, lend_spare; by_hand: sent by the street desk or a cadre). Escalations answered: "
        "needs escalated to the street, by the street desk's first answer, summed over the seeds (covered: "
        "units already on their way when the desk came to it).",
    ]
    return "\n".join(lines)


def _row(cells: list[str], tight: bool = False) -> str:
    """One markdown table row (``tight``: the alignment row, as the README writes it)."""
    return "|" + "|".join(cells) + "|" if tight else "| " + " | ".join(cells) + " |"


def _all_hold(agg: dict[str, Any], key: str) -> int:
    """Seeds on which every expectation holds."""
    failed = {seed for e in agg["expectations"] for seed in e[key]}
    return sum(1 for seed in agg["seeds"] if seed not in failed)


def main(argv: list[str] | None = None) -> int:
    from engine.drill.seeds import parse_seeds

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drill_seeds", description=__doc__.splitlines()[0]
    )
    parser.add_argument("scenarios", nargs="*", type=Path, help="scenario files (default: scenarios/*.yaml)")
    parser.add_argument("--seeds", default="0-9", help="seeds to run, e.g. 0-9 or 0,2,5 (default 0-9)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes (default: 2, or 1 on one core)",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where to write (default benchmarks/results)"
    )
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as exc:
        sys.stderr.write(f"drill_seeds: --seeds: {exc}\n")
        return 2
    paths = args.scenarios or sorted(SCENARIOS.glob("*.yaml"))
    started = time.perf_counter()
    scenarios = sweep(paths, seeds, max(1, args.jobs))
    wall_s = round(time.perf_counter() - started, 1)
    data = {
        "what": "each scenario over seeds: mean, min, max and per-seed values, engine beside closest-available",
        "seeds": seeds,
        "wall_s": wall_s,
        "machine": {"cpus": os.cpu_count(), "jobs": args.jobs, "python": platform.python_version()},
        "scenarios": scenarios,
    }
    markdown = table(scenarios)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "drill_seeds.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (args.out / "drill_seeds.md").write_text(markdown, encoding="utf-8")
    sys.stdout.write(markdown + f"\n{len(paths)} scenarios × {len(seeds)} seeds in {wall_s} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
