"""The benchmark harness of issue 6: matching latency, scaling and decision quality against baselines.

``run`` measures the chosen sizes and writes ``bench.json``, ``bench.md`` and ``bench.png`` to a folder.
"""

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from benchmarks.harness.machine import machine
from benchmarks.harness.memory import flatness
from benchmarks.harness.plot import plot
from benchmarks.harness.quality import RESPONSE_TARGET_S
from benchmarks.harness.report import markdown
from benchmarks.harness.run import run_size
from benchmarks.harness.sizes import SIZES, Size, parse_sizes
from benchmarks.harness.targets import targets

DEFINITIONS = {
    "full": "re-plan of the incident as it stands (nothing changed), travel cache warm: every need and "
    "resource re-screened, the flow model rebuilt and solved, the plan read back with explanations",
    "incremental": "re-plan right after one event (one new need, one resource offline, one road closed), "
    "same warm cache: the matcher still solves the whole problem, travel searches only what the event changed",
    "latency": "OptimalMatcher.solve wall time; building the MatchingProblem is reported apart (problem_build)",
    "breakdown": "the same re-plan step by step on a copy of the cache as it stood before it: travel, rules "
    "(per-entity facts), screening (candidate arcs), model build, solve (the bare OR-Tools solve), read-back",
    "first_plan_cold_ms": "the incident's first plan with an empty cache (includes every travel search)",
    "late_units": f"units sent whose travel exceeds the response target for their need's priority: {dict(RESPONSE_TARGET_S)}",
    "not_in_time": "units not on site within their target: late units plus units never sent",
    "percentiles": "numpy linear interpolation; with few samples (L, XL) p99 is close to the maximum",
}


def run(
    sizes: Sequence[Size],
    out: Path,
    *,
    seed: int = 1,
    events: int | None = None,
    memory_replans: int = 10_000,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, object]:
    """Measure ``sizes``; ``events`` overrides each size's stream length; memory is checked on S."""
    results: list[dict[str, object]] = []
    for size in sizes:
        results.append(run_size(size, seed=seed, events=events, progress=progress))
        # Written after every size, so that a long run still leaves what it measured.
        _write(out, _report(sizes, results, None, seed, events))
    flat = None
    if memory_replans > 0:
        progress(f"memory: {memory_replans:,} re-plans on S")
        # In a fresh process, so that the resident size is S's own and not the high-water mark of XL.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            flat = pool.submit(flatness, SIZES["S"], memory_replans, seed).result()
    report = _report(sizes, results, flat, seed, events)
    _write(out, report)
    return report


def _report(
    sizes: Sequence[Size],
    results: list[dict[str, object]],
    flat: dict[str, object] | None,
    seed: int,
    events: int | None,
) -> dict[str, object]:
    return {
        "machine": machine(),
        "settings": {
            "seed": seed,
            "sizes": {
                s.name: {"events": events or s.events, "baseline_reps": s.baseline_reps} for s in sizes
            },
            "definitions": DEFINITIONS,
        },
        "sizes": results,
        "memory_flatness": flat,
        "targets": targets(results, flat),
    }


def _write(out: Path, report: dict[str, object]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(markdown(report), encoding="utf-8")
    plot(report["sizes"], out / "bench.png")  # type: ignore[arg-type]


__all__ = ["SIZES", "Size", "parse_sizes", "run"]
