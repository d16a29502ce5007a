"""A drill judged over many seeds: each seed's report in, the figures' mean and spread out, engine beside
baseline, and every expectation judged on every seed.

One seed is one draw of how the responders behave (who declines, who stays silent, how fast they answer).
A single seed can flatter or sink either run; the mean over seeds, with its minimum and maximum, says what
to expect, and an expectation that fails on any seed is a failed drill. Plain data in, plain data out.
"""

import re
import statistics
from collections.abc import Sequence
from typing import Any

from engine.model.priority import DESCENDING

# Most seeds one request may ask for: a typo such as 0-100000 should not run for a day.
MAX_SEEDS = 1000
# One seed or an inclusive range, ASCII digits only (int() would also take "٣", which nobody means).
_SEEDS = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", re.ASCII)
RUNS = ("engine", "baseline")
# The street's answers to an escalated need, in the order reports list them (see metrics.escalation_answers).
ANSWER_ORDER = ("approved", "assigned", "asked", "no_help", "covered", "unanswered")
# (key, where it is in a run's figures): each is one number per seed and run.
METRICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("late", ("late",)),
    ("life_safety_needs", ("life_safety", "needs")),
    ("life_safety_reached", ("life_safety", "reached")),
    ("life_safety_in_time", ("life_safety", "in_time")),
    ("life_safety_p90_s", ("life_safety", "p90_response_s")),
    ("life_safety_units_reached", ("life_safety", "units_reached")),
    ("p90_response_s", ("response_s", "p90")),
    ("unmet", ("needs", "unmet")),
    ("churn", ("replans", "churn")),
)


def parse_seeds(spec: str) -> list[int]:
    """``3``, ``0-9``, ``0,2,5`` or ``0-4,7`` as a sorted list of distinct seeds; ValueError says what is wrong."""
    if not spec.strip():
        raise ValueError("no seeds given; write e.g. 3, 0-9, 0,2,5 or 0-4,7")
    seeds: set[int] = set()
    for part in spec.split(","):
        found = _SEEDS.fullmatch(part)
        if found is None:
            raise ValueError(
                f"{part.strip()!r} is not a seed or a range of seeds; write e.g. 3, 0-9, 0,2,5 or 0-4,7"
            )
        first = int(found[1])
        last = first if found[2] is None else int(found[2])
        if last < first:
            raise ValueError(f"{part.strip()!r} runs backwards; write {last}-{first}")
        seeds.update(range(first, min(last, first + MAX_SEEDS) + 1))
        if len(seeds) > MAX_SEEDS:
            raise ValueError(f"{spec.strip()!r} asks for more than {MAX_SEEDS} seeds")
    return sorted(seeds)


def spread(values: Sequence[float | int | None]) -> dict[str, Any]:
    """Mean, min and max of the values a run had (None where a seed had none), with how many there were."""
    present = [v for v in values if v is not None]
    return {
        "n": len(present),
        "mean": round(statistics.fmean(present), 2) if present else None,
        "min": min(present) if present else None,
        "max": max(present) if present else None,
        "values": list(values),
    }


def aggregate(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's per-seed reports (as :func:`engine.drill.report.build_report` makes them) in seed
    order of the caller's choosing; the mean and spread of each figure and the seeds where each expectation
    fails. JSON-ready; the same reports give the same result."""
    if not reports:
        raise ValueError("aggregate: no reports")
    ordered = sorted(reports, key=lambda r: r["scenario"]["seed"])
    seeds = [r["scenario"]["seed"] for r in ordered]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"aggregate: a seed appears twice in {seeds}")
    names = {r["scenario"]["name"] for r in ordered}
    if len(names) != 1:
        raise ValueError(f"aggregate: reports of different scenarios {sorted(names)}")
    first = ordered[0]
    metrics: dict[str, Any] = {
        key: {run: spread([_dig(r[run], path) for r in ordered]) for run in RUNS} for key, path in METRICS
    }
    priorities = [
        str(p) for p in DESCENDING if any(str(p) in r[run]["by_priority"] for r in ordered for run in RUNS)
    ]
    metrics["p90_by_priority"] = {
        p: {
            run: spread([_dig(r[run], ("by_priority", p, "p90_response_s")) for r in ordered]) for run in RUNS
        }
        for p in priorities
    }
    metrics["late_by_priority"] = {
        p: {run: spread([_dig(r[run], ("by_priority", p, "late")) for r in ordered]) for run in RUNS}
        for p in priorities
    }
    expectations = []
    for i, e in enumerate(first["expectations"]):
        judged = [(r["scenario"]["seed"], r["expectations"][i]) for r in ordered]
        expectations.append(
            {
                "name": e["name"],
                "held": sum(1 for _, j in judged if j["engine"]["holds"]),
                "failed_seeds": [seed for seed, j in judged if not j["engine"]["holds"]],
                "failures": [
                    {"seed": seed, "detail": j["engine"]["detail"]}
                    for seed, j in judged
                    if not j["engine"]["holds"]
                ],
                "baseline_held": sum(1 for _, j in judged if j["baseline"]["holds"]),
                "baseline_failed_seeds": [seed for seed, j in judged if not j["baseline"]["holds"]],
            }
        )
    failed_seeds = sorted({seed for e in expectations for seed in e["failed_seeds"]})
    scenario = {k: v for k, v in first["scenario"].items() if k != "seed"}
    street = {}
    if "alone" in first:
        # A street: the same figures with each community alone, and what the street's sharing brought.
        metrics["alone"] = {
            key: {run: spread([_dig(r["alone"][run], path) for r in ordered]) for run in RUNS}
            for key, path in METRICS
        }
        street = {
            "street": first.get("street"),
            "sharing": {
                "street": {run: sharing([r[run]["street"] for r in ordered]) for run in RUNS},
                "alone": {run: sharing([r["alone"][run]["street"] for r in ordered]) for run in RUNS},
            },
        }
    return {
        "exercise": True,
        "report": "drill over seeds 多种子演练汇总",
        "scenario": scenario,
        "seeds": seeds,
        "n": len(seeds),
        "targets_s": first["targets_s"],
        "censoring": first["censoring"],
        "hindsight_life_safety_units_served": first["hindsight"]["life_safety"]["units_served"],
        "metrics": metrics,
        "expectations": expectations,
        "passed": not failed_seeds,
        "failed_seeds": failed_seeds,
        **street,
    }


def sharing(figures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Over seeds, one run's street figures: cross-community dispatches (mean and spread, by owner and by
    sharing rule) and the answers to escalations (needs, reached, in time and served, summed over seeds)."""
    cross = [f["cross_community"] for f in figures]
    owners = sorted({o for c in cross for o in c["by_owner"]})
    rules = sorted({r for c in cross for r in c["by_rule"]})
    answers: dict[str, dict[str, int]] = {}
    for f in figures:
        for kind, counts in f["escalation_answers"].items():
            total = answers.setdefault(kind, dict.fromkeys(counts, 0))
            for key, value in counts.items():
                total[key] += value
    return {
        "cross_community": {
            "dispatches": spread([c["dispatches"] for c in cross]),
            "units": spread([c["units"] for c in cross]),
            "life_safety": spread([c["life_safety"] for c in cross]),
            "by_owner": {o: spread([c["by_owner"].get(o, 0) for c in cross]) for o in owners},
            "by_rule": {r: spread([c["by_rule"].get(r, 0) for c in cross]) for r in rules},
        },
        "escalation_answers": {kind: answers[kind] for kind in ANSWER_ORDER if kind in answers},
    }


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
