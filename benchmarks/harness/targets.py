"""The issue's targets, each checked against the figures of a run."""

from collections.abc import Mapping, Sequence
from typing import Any

# Growth of resident memory, fitted over the re-plans after warm-up, below which memory counts as flat.
FLAT_KB_PER_1000 = 100.0


def _p(figures: Mapping[str, Any], *keys: str) -> float | None:
    value: Any = figures
    for key in keys:
        if not isinstance(value, Mapping) or value.get(key) is None:
            return None
        value = value[key]
    return float(value)


def targets(
    sizes: Sequence[Mapping[str, Any]], flatness: Mapping[str, Any] | None
) -> list[dict[str, object]]:
    by_name = {s["size"]: s for s in sizes}
    checks: list[tuple[str, str, tuple[str, ...], float]] = [
        ("S re-plan p99 ≤ 10 ms (full)", "S", ("full", "p99_ms"), 10),
        ("S re-plan p99 ≤ 10 ms (incremental)", "S", ("incremental", "p99_ms"), 10),
        ("M re-plan p50 ≤ 10 ms (full)", "M", ("full", "p50_ms"), 10),
        ("M re-plan p99 ≤ 30 ms (full)", "M", ("full", "p99_ms"), 30),
        ("M re-plan p50 ≤ 10 ms (incremental)", "M", ("incremental", "p50_ms"), 10),
        ("M re-plan p99 ≤ 50 ms (incremental)", "M", ("incremental", "p99_ms"), 50),
        ("M one new need p99 ≤ 20 ms", "M", ("incremental", "by_event", "new_need", "p99_ms"), 20),
        ("L re-plan p99 ≤ 500 ms (full)", "L", ("full", "p99_ms"), 500),
        ("L re-plan p99 ≤ 500 ms (incremental)", "L", ("incremental", "p99_ms"), 500),
        ("XL re-plan p99 ≤ 3 s (full, pruned)", "XL", ("full", "p99_ms"), 3000),
        ("XL re-plan p99 ≤ 3 s (incremental, pruned)", "XL", ("incremental", "p99_ms"), 3000),
        # Issue 19: the whole re-plan against the bare OR-Tools solve, p50 / p50.
        ("M whole re-plan ≤ 2× the bare solve (p50 / p50)", "M", ("ratio_to_bare_solve",), 2.0),
        ("L whole re-plan ≤ 3× the bare solve (p50 / p50)", "L", ("ratio_to_bare_solve",), 3.0),
        ("XL pruned: tier-2 gap to the unpruned solve ≤ 0.5%", "XL", ("pruning", "tier2_gap_pct_max"), 0.5),
    ]
    out: list[dict[str, object]] = []
    for text, size, keys, limit in checks:
        if size in by_name:
            measured = _p(by_name[size], *keys)
            out.append(
                {"target": text, "measured": measured, "met": measured is not None and measured <= limit}
            )
    pruning = by_name.get("XL", {}).get("pruning")
    if pruning is not None:
        out.append(
            {
                "target": "XL pruned: tier 1 equal to the unpruned solve on every re-plan",
                "measured": float(pruning["replans"]),
                "met": bool(pruning["tier1_equal"]),
            }
        )
    if flatness is not None:
        slope = _p(flatness, "slope_kb_per_1000_replans")
        out.append(
            {
                "target": f"memory flat over {flatness['replans']:,} re-plans on {flatness['size']} "
                f"(RSS growth < {FLAT_KB_PER_1000:g} KB per 1,000)",
                "measured": slope,
                "met": slope is not None and slope < FLAT_KB_PER_1000,
            }
        )
    return out
