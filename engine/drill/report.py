"""A drill from scenario to after-action report: the engine's run, the baseline's run, the hindsight bound.

The report is plain JSON data and byte-identical for the same scenario and seed (no wall-clock times in it).
It is marked as an exercise at the top and in each run, so it can never be taken for a real incident.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.coordinator import CoordinatorSettings, MapLoader
from engine.drill.hindsight import hindsight
from engine.drill.metrics import (
    CENSORED_EN,
    CENSORED_ZH,
    View,
    cross_community,
    effective_priorities,
    escalation_answers,
    evaluate,
    need_targets,
    run_metrics,
)
from engine.drill.runner import DrillRun, RunRecord
from engine.drill.scenario import Profiles, Scenario, clock
from engine.matching import ClosestAvailable, OptimalMatcher, Solver
from engine.model.ids import NeedId
from engine.rules.profile import Profile

RUNS = ("engine", "baseline")

# What the progress callback is told: the phase, and how far through the whole drill we are (0..1).
Progress = Callable[[str, float], None]
PHASES = (("engine", 0.0, 0.5), ("baseline", 0.5, 0.95))
# A street is run four times: as it is, and with each community alone, each with both dispatchers.
STREET_PHASES = (
    ("engine", 0.0, 0.3),
    ("baseline", 0.3, 0.6),
    ("engine_alone", 0.6, 0.78),
    ("baseline_alone", 0.78, 0.95),
)
# The figures compared run beside run: (key, where in a run's figures).
COMPARED: tuple[tuple[str, tuple[str, ...]], ...] = (
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
)
# A street's run beside each community alone: these of them, and how many needs were escalated.
_BESIDE_ALONE = frozenset(
    [
        "life_safety_needs",
        "life_safety_reached",
        "life_safety_in_time",
        "life_safety_p90_s",
        "counted",
        "in_time",
        "late",
        "served",
        "unmet",
    ]
)
STREET_VS_ALONE = (
    *((key, path) for key, path in COMPARED if key in _BESIDE_ALONE),
    ("escalated", ("escalated", "needs")),
)


@dataclass(frozen=True)
class DrillResult:
    # Plain JSON data (see build_report); typed loosely so callers can read it without casts.
    report: dict[str, Any]
    engine: RunRecord
    baseline: RunRecord
    # A street's runs with each community alone (engine, baseline), when compared.
    alone: tuple[RunRecord, RunRecord] | None = None

    @property
    def failed(self) -> list[str]:
        """The names of the expectations the engine's run does not meet."""
        expectations = self.report["expectations"]
        assert isinstance(expectations, list)
        return [str(e["name"]) for e in expectations if not e["engine"]["holds"]]


def run_drill(
    scenario: Scenario,
    profile: Profile | Profiles,
    maps: MapLoader,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    keep_log: bool = False,
    settings: CoordinatorSettings | None = None,
    alone: bool | None = None,
) -> DrillResult:
    """Run ``scenario`` with the engine and with the closest-available baseline, and compare both to hindsight.

    ``profile`` is every community's governance profile as shipped, or each community's (:class:`Profiles`);
    the scenario's ``disable_rules``, ``dispatch`` and ``sharing`` are applied here. ``alone``: run the street
    again with each community alone, both dispatchers (default: for a street of communities).
    """
    profiles = Profiles.of(scenario, profile).effective(scenario)
    compare = scenario.is_street if alone is None else alone
    phases = STREET_PHASES if compare else PHASES
    solvers: tuple[Solver, ...] = (OptimalMatcher(), ClosestAvailable()) * (2 if compare else 1)
    records = []
    for (phase, low, high), solver in zip(phases, solvers, strict=True):

        def tell(fraction: float, phase: str = phase, low: float = low, high: float = high) -> None:
            if progress is not None:
                progress(phase, low + (high - low) * fraction)

        run = DrillRun(
            scenario,
            profiles,
            maps,
            seed=seed,
            solver=solver,
            settings=settings,
            progress=tell,
            keep_log=keep_log and phase == "engine",
            alone=phase.endswith("_alone"),
        )
        records.append(run.run())
    engine, baseline = records[:2]
    alone_runs = (records[2], records[3]) if compare else None
    if progress is not None:
        progress("hindsight", 0.95)
    priority = effective_priorities(scenario, profiles)
    bound = hindsight(scenario, profiles, maps(scenario.map), priority)
    if progress is not None:
        progress("report", 1.0)
    report = build_report(scenario, profiles, seed, engine, baseline, bound, priority, alone_runs)
    return DrillResult(report, engine, baseline, alone_runs)


def build_report(
    scenario: Scenario,
    profile: Profile | Profiles,
    seed: int,
    engine: RunRecord,
    baseline: RunRecord,
    bound: dict[str, object],
    priority: dict[NeedId, int],
    alone: tuple[RunRecord, RunRecord] | None = None,
) -> dict[str, object]:
    profiles = Profiles.of(scenario, profile)
    targets = profiles.first.dispatch.response_target_s
    per_need = need_targets(scenario, profiles) if scenario.is_street else {}
    views = {
        name: View(record, priority, targets, per_need)
        for name, record in (("engine", engine), ("baseline", baseline))
    }
    alone_views = (
        {name: View(record, priority, targets, per_need) for name, record in zip(RUNS, alone, strict=True)}
        if alone is not None
        else {}
    )
    runs = {}
    checks = {}
    for name, view in views.items():
        runs[name] = run_metrics(view, scenario)
        checks[name] = [evaluate(e, view, alone_views.get(name)) for e in scenario.expectations]
        runs[name]["exercise"] = True
        if scenario.is_street:
            runs[name]["street"] = street_metrics(view)
    expectations = [
        {
            "name": e.title(),
            "engine": {k: checks["engine"][i][k] for k in ("holds", "detail", "late")},
            "baseline": {k: checks["baseline"][i][k] for k in ("holds", "detail", "late")},
        }
        for i, e in enumerate(scenario.expectations)
    ]
    first = scenario.members()[0]
    report: dict[str, object] = {
        "exercise": True,
        "report": "drill after-action report 演练复盘报告",
        "scenario": {
            "name": scenario.name,
            "title_zh": scenario.title_zh,
            "title_en": scenario.title_en,
            "community": first.id if scenario.community is not None else scenario.street_id,
            "community_name": first.name if scenario.community is not None else _street_name(scenario),
            "profile": profiles.first.name,
            "disabled_rules": list(first.disable_rules),
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
    if scenario.is_street:
        report["street"] = street_block(scenario, profiles)
    if alone_views:
        alone_runs = {
            name: run_metrics(view, scenario) | {"exercise": True} for name, view in alone_views.items()
        }
        for name, view in alone_views.items():
            alone_runs[name]["street"] = street_metrics(view)
        report["alone"] = alone_runs
        report["comparison"]["street_vs_alone"] = street_vs_alone(runs, alone_runs)  # type: ignore[index]
    return report


def _street_name(scenario: Scenario) -> str:
    return scenario.street.name if scenario.street is not None else ""


def street_block(scenario: Scenario, profiles: Profiles) -> dict[str, object]:
    """Who takes part in a street's drill: the street, and each community with its profile and how it lends."""
    assert scenario.street is not None
    return {
        "id": scenario.street.id,
        "name": scenario.street.name,
        "profile": profiles.of_street.name,
        "communities": [
            {
                "id": m.id,
                "name": m.name,
                "profile": profiles.communities[m.id].name,
                "disabled_rules": list(m.disable_rules),
                "sharing": profiles.communities[m.id].sharing.model_dump(mode="json"),
                "organisations": sum(1 for o in scenario.organisations if scenario.home(o) == m.id),
                "resources": sum(1 for home in scenario.resource_home().values() if home == m.id),
            }
            for m in scenario.members()
        ],
        "street_pool": {
            "organisations": sum(1 for o in scenario.organisations if scenario.home(o) is None),
            "resources": sum(1 for home in scenario.resource_home().values() if home is None),
        },
    }


def street_metrics(view: View) -> dict[str, object]:
    return {"cross_community": cross_community(view), "escalation_answers": escalation_answers(view)}


def street_vs_alone(street: dict[str, Any], alone: dict[str, Any]) -> dict[str, object]:
    """Each figure with the street and with each community alone, per dispatcher."""
    return {
        key: {run: {"street": _dig(street[run], path), "alone": _dig(alone[run], path)} for run in RUNS}
        for key, path in STREET_VS_ALONE
    }


def comparison(
    engine: dict[str, object], baseline: dict[str, object], bound: dict[str, object]
) -> dict[str, object]:
    """The figures side by side: life-safety reached and in time, response times, late arrivals, churn,
    what became of escalations, and the gap to hindsight."""
    out: dict[str, object] = {}
    for key, path in COMPARED:
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
