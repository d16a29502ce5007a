"""A drill from scenario to after-action report: the engine's run, the baseline's run, the hindsight bound.

The report is plain JSON data and byte-identical for the same scenario and seed (no wall-clock times in it).
It is marked as an exercise at the top and in each run, so it can never be taken for a real incident.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.coordinator import CoordinatorSettings, MapLoader
from engine.drill.hindsight import hindsight
from engine.drill.metrics import CENSORED_EN, CENSORED_ZH, View, effective_priorities, evaluate, run_metrics
from engine.drill.runner import DrillRun, RunRecord
from engine.drill.scenario import Scenario, clock, effective_profile
from engine.matching import ClosestAvailable, OptimalMatcher, Solver
from engine.model.ids import NeedId
from engine.rules.profile import Profile

# What the progress callback is told: the phase, and how far through the whole drill we are (0..1).
Progress = Callable[[str, float], None]
PHASES = (("engine", 0.0, 0.5), ("baseline", 0.5, 0.95))


@dataclass(frozen=True)
class DrillResult:
    # Plain JSON data (see build_report); typed loosely so callers can read it without casts.
    report: dict[str, Any]
    engine: RunRecord
    baseline: RunRecord

    @property
    def failed(self) -> list[str]:
        """The names of the expectations the engine's run does not meet."""
        expectations = self.report["expectations"]
        assert isinstance(expectations, list)
        return [str(e["name"]) for e in expectations if not e["engine"]["holds"]]


def run_drill(
    scenario: Scenario,
    profile: Profile,
    maps: MapLoader,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    keep_log: bool = False,
    settings: CoordinatorSettings | None = None,
) -> DrillResult:
    """Run ``scenario`` with the engine and with the closest-available baseline, and compare both to hindsight.

    ``profile`` is the community's governance profile as shipped; the scenario's ``disable_rules`` and
    ``dispatch`` are applied here.
    """
    profile = effective_profile(profile, scenario)
    records = []
    solvers: tuple[Solver, Solver] = (OptimalMatcher(), ClosestAvailable())
    for (phase, low, high), solver in zip(PHASES, solvers, strict=True):

        def tell(fraction: float, phase: str = phase, low: float = low, high: float = high) -> None:
            if progress is not None:
                progress(phase, low + (high - low) * fraction)

        run = DrillRun(
            scenario,
            profile,
            maps,
            seed=seed,
            solver=solver,
            settings=settings,
            progress=tell,
            keep_log=keep_log and phase == "engine",
        )
        records.append(run.run())
    engine, baseline = records
    if progress is not None:
        progress("hindsight", 0.95)
    priority = effective_priorities(scenario, profile)
    bound = hindsight(scenario, profile, maps(scenario.map), priority)
    if progress is not None:
        progress("report", 1.0)
    report = build_report(scenario, profile, seed, engine, baseline, bound, priority)
    return DrillResult(report, engine, baseline)


def build_report(
    scenario: Scenario,
    profile: Profile,
    seed: int,
    engine: RunRecord,
    baseline: RunRecord,
    bound: dict[str, object],
    priority: dict[NeedId, int],
) -> dict[str, object]:
    runs = {}
    checks = {}
    targets = profile.dispatch.response_target_s
    for name, record in (("engine", engine), ("baseline", baseline)):
        view = View(record, priority, targets)
        runs[name] = run_metrics(view, scenario)
        checks[name] = [evaluate(e, view) for e in scenario.expectations]
        runs[name]["exercise"] = True
    expectations = [
        {
            "name": e.title(),
            "engine": {k: checks["engine"][i][k] for k in ("holds", "detail", "late")},
            "baseline": {k: checks["baseline"][i][k] for k in ("holds", "detail", "late")},
        }
        for i, e in enumerate(scenario.expectations)
    ]
    return {
        "exercise": True,
        "report": "drill after-action report 演练复盘报告",
        "scenario": {
            "name": scenario.name,
            "title_zh": scenario.title_zh,
            "title_en": scenario.title_en,
            "community": scenario.community.id,
            "community_name": scenario.community.name,
            "profile": profile.name,
            "disabled_rules": list(scenario.community.disable_rules),
            "seed": seed,
            "start": scenario.settings.start.isoformat(),
            "duration": clock(scenario.end),
            "events": len(scenario.timeline),
            "needs": len(scenario.needs()),
            "organisations": len(scenario.organisations),
            "resources": len(scenario.resources),
        },
        # What "in time" means in this report, and how a need never reached enters medians and p90s.
        "targets_s": {str(p): targets[p] for p in sorted(targets, reverse=True)},
        "censoring": {"zh": CENSORED_ZH, "en": CENSORED_EN},
        "expectations": expectations,
        "passed": all(e["engine"]["holds"] for e in expectations),  # type: ignore[index]
        "engine": runs["engine"],
        "baseline": runs["baseline"],
        "hindsight": bound,
        "comparison": comparison(runs["engine"], runs["baseline"], bound),
    }


def comparison(
    engine: dict[str, object], baseline: dict[str, object], bound: dict[str, object]
) -> dict[str, object]:
    """The figures side by side: life-safety reached and in time, response times, late arrivals, churn,
    what became of escalations, and the gap to hindsight."""
    out: dict[str, object] = {}
    for key, path in (
        ("life_safety_needs", ("life_safety", "needs")),
        ("life_safety_reached", ("life_safety", "reached")),
        ("life_safety_in_time", ("life_safety", "in_time")),
        ("life_safety_p90_s", ("life_safety", "p90_response_s")),
        ("life_safety_units_reached", ("life_safety", "units_reached")),
        ("life_safety_travelled_units", ("life_safety", "travelled_units")),
        ("life_safety_mean_travel_s", ("life_safety", "mean_travel_s")),
        ("counted", ("response_s", "counted")),
        ("reached", ("response_s", "reached")),
        ("in_time", ("response_s", "in_time")),
        ("median_response_s", ("response_s", "median")),
        ("p90_response_s", ("response_s", "p90")),
        ("served", ("needs", "served")),
        ("unmet", ("needs", "unmet")),
        ("late", ("late",)),
        ("replans", ("replans", "count")),
        ("churn", ("replans", "churn")),
        ("escalated", ("escalated",)),
    ):
        out[key] = {"engine": _dig(engine, path), "baseline": _dig(baseline, path)}
    ls = bound["life_safety"]
    assert isinstance(ls, dict)
    gap: dict[str, object] = {
        "hindsight_units_served": ls["units_served"],
        "hindsight_mean_travel_s": ls["mean_travel_s"],
    }
    for name, run in (("engine", engine), ("baseline", baseline)):
        reached = _dig(run, ("life_safety", "units_reached"))
        travel = _dig(run, ("life_safety", "mean_travel_s"))
        gap[f"{name}_units_short"] = ls["units_served"] - reached if isinstance(reached, int) else None
        gap[f"{name}_extra_travel_s"] = (
            round(travel - ls["mean_travel_s"], 1)
            if isinstance(travel, float | int) and isinstance(ls["mean_travel_s"], float | int)
            else None
        )
    out["hindsight_gap"] = gap
    return out


def _dig(data: object, path: tuple[str, ...]) -> object:
    for key in path:
        assert isinstance(data, dict)
        data = data.get(key)
    return data
