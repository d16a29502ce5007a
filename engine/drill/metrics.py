"""What a run achieved, as plain JSON-ready numbers: coverage, response times, lateness, unmet needs, churn.

Priorities here are the profile's (after its adjustments, in incident mode): "priority 5" is what the
community's rules call life-safety. Response time is from a need's report to its first unit on site.
Every reported need ends in exactly one of served (the work is done), cancelled, or unmet.

A need that is not cancelled is *counted*. It is *reached in time* when its first unit came within the
profile's response target for its priority (``dispatch.response_target_s``), *late* otherwise, never reached
included. Medians and p90s are over counted needs, a need never reached standing at the time from its report
to the end of the drill (censored): seeds stay comparable, and reaching more needs is never punished by
adding long times that the other run simply left out.
"""

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.coordinator import NeedStatus
from engine.drill.runner import NeedTrack, RunRecord
from engine.drill.scenario import (
    Expectation,
    MaxUnmet,
    MinServed,
    Profiles,
    ReachWithin,
    Scenario,
    StreetAhead,
    clock,
)
from engine.drill.seeds import ANSWER_ORDER
from engine.model.entities import Mode
from engine.model.ids import NeedId
from engine.model.plan import REASON_ZH as PLAN_REASON_ZH
from engine.model.priority import DESCENDING, LIFE_SAFETY
from engine.rules.facts import CompiledProfile
from engine.rules.profile import Profile

OUTCOMES = ("served", "unmet", "cancelled")
# Read from the plan's table when this module is imported, so a reason added there is labelled here too.
REASON_ZH = {
    **PLAN_REASON_ZH,
    # A drill also ends with needs still being served, or never planned.
    "in_progress": "已派出，演练结束时尚未完成",
    "not_planned": "演练结束时尚未进入方案",
}
CENSORED_ZH = "未到达的需求按“上报到演练结束”计入中位数和 p90"
CENSORED_EN = "a need never reached counts at (drill end − reported) in medians and p90s"


def effective_priorities(scenario: Scenario, profile: Profile | Profiles) -> dict[NeedId, int]:
    """Each need's priority under its community's profile in incident mode (the one the matcher ranks by)."""
    profiles = Profiles.of(scenario, profile)
    rules = {c: CompiledProfile(p, Mode.INCIDENT) for c, p in profiles.communities.items()}
    homes = scenario.need_community()
    out: dict[NeedId, int] = {}
    for need_id, need in scenario.needs().items():
        community = homes[need_id]
        facts = rules[community].need_facts(need.need(community, scenario.settings.start), community)
        out[need_id] = facts.priority
    return out


def need_targets(scenario: Scenario, profile: Profile | Profiles) -> dict[NeedId, Mapping[int, int]]:
    """Each need's response targets: its community's profile's (communities of a street may differ)."""
    profiles = Profiles.of(scenario, profile)
    return {
        need_id: profiles.communities[community].dispatch.response_target_s
        for need_id, community in scenario.need_community().items()
    }


def outcome(status: NeedStatus) -> str:
    return {NeedStatus.SERVED: "served", NeedStatus.CANCELLED: "cancelled", NeedStatus.OPEN: "unmet"}[status]


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (a value that occurred), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class View:
    """A run seen through the profile's priorities and response targets."""

    record: RunRecord
    priority: dict[NeedId, int]
    # Seconds from report to first unit on site that each priority should meet.
    target_s: Mapping[int, int]
    # A need's own community's targets, where they differ from ``target_s`` (a street's communities).
    need_target_s: Mapping[NeedId, Mapping[int, int]] = field(default_factory=dict)

    def tracks(self, at_least: int = 1) -> list[NeedTrack]:
        return [t for _, t in sorted(self.record.needs.items()) if self.priority[t.id] >= at_least]

    def status(self, track: NeedTrack) -> str:
        return outcome(self.record.final_status[track.id])

    def counted(self, at_least: int = 1) -> list[NeedTrack]:
        """Needs that count towards coverage: all but the cancelled ones."""
        return [t for t in self.tracks(at_least) if self.status(t) != "cancelled"]

    def of_priority(self, priority: int) -> list[NeedTrack]:
        return [t for t in self.counted(priority) if self.priority[t.id] == priority]

    def in_time(self, track: NeedTrack) -> bool:
        response = response_s(track)
        targets = self.need_target_s.get(track.id, self.target_s)
        return response is not None and response <= targets[self.priority[track.id]]

    def waited_s(self, track: NeedTrack) -> float:
        """Its response time, or for a need never reached the time from its report to the end (censored)."""
        response = response_s(track)
        return self.record.end_s - track.reported_s if response is None else response


def response_s(track: NeedTrack) -> float | None:
    return None if track.reached_s is None else track.reached_s - track.reported_s


def timeliness(view: View, tracks: Sequence[NeedTrack]) -> dict[str, object]:
    """Reached and reached-in-time counts of counted needs, with median and p90 (censored)."""
    waited = [view.waited_s(t) for t in tracks]
    reached = sum(1 for t in tracks if t.reached_s is not None)
    in_time = sum(1 for t in tracks if view.in_time(t))
    return {
        "counted": len(tracks),
        "reached": reached,
        "in_time": in_time,
        "late": len(tracks) - in_time,
        "censored": len(tracks) - reached,
        "median_response_s": _round(statistics.median(waited)) if waited else None,
        "p90_response_s": _round(percentile(waited, 0.9)),
    }


def run_metrics(view: View, scenario: Scenario) -> dict[str, object]:
    record = view.record
    totals = dict.fromkeys(OUTCOMES, 0)
    for t in view.tracks():
        totals[view.status(t)] += 1
    by_priority: dict[str, object] = {}
    for p in DESCENDING:
        tracks = [t for t in view.tracks() if view.priority[t.id] == p]
        if not tracks:
            continue
        by_priority[str(p)] = {
            "reported": len(tracks),
            **{o: sum(1 for t in tracks if view.status(t) == o) for o in OUTCOMES},
            "target_s": view.target_s[p],
            **timeliness(view, view.of_priority(p)),
        }
    overall = timeliness(view, view.counted())
    return {
        "solver": record.solver,
        "exercise": record.exercise,
        "needs": {"reported": len(record.needs), **totals},
        "by_priority": by_priority,
        "life_safety": life_safety(view),
        "response_s": {key: overall[key] for key in ("counted", "reached", "in_time", "late", "censored")}
        | {"median": overall["median_response_s"], "p90": overall["p90_response_s"]},
        "late": overall["late"],
        "unmet": unmet_needs(view),
        "escalated": escalated(view),
        "replans": {
            "count": len(record.replans),
            "churn": sum(r.churn for r in record.replans),
            "series": [[_round(r.at_s), r.churn] for r in record.replans],
        },
        "coverage": coverage_series(view),
        "response_times": {
            str(p): [
                _round(response_s(t))
                for t in view.tracks()
                if view.priority[t.id] == p and t.reached_s is not None
            ]
            for p in DESCENDING
            if any(view.priority[t.id] == p for t in view.tracks())
        },
        "counts": dict(sorted(record.counts.items())),
        "notes": [{"at": clock(n.at_s), "event": n.index + 1, "text": n.text} for n in record.notes],
        "need_outcomes": [
            {
                "need": t.id,
                "priority": view.priority[t.id],
                "outcome": view.status(t),
                "reported": clock(t.reported_s),
                "response_s": _round(response_s(t)),
                "in_time": None if view.status(t) == "cancelled" else view.in_time(t),
                "first_resource": t.first_resource,
            }
            for t in view.tracks()
        ],
    }


def life_safety(view: View) -> dict[str, object]:
    tracks = view.of_priority(LIFE_SAFETY)
    units = sum(t.quantity for t in tracks)
    reached_units = sum(t.units_reached for t in tracks)
    travelled = [(u, s) for t in tracks for u, s in t.arrivals if s is not None]
    travel_units = sum(u for u, _ in travelled)
    figures = timeliness(view, tracks)
    return {
        "needs": len(tracks),
        "reached": figures["reached"],
        "in_time": figures["in_time"],
        "late": figures["late"],
        "target_s": view.target_s[LIFE_SAFETY],
        "p90_response_s": figures["p90_response_s"],
        "units": units,
        "units_reached": reached_units,
        # Travel of the units whose travel is known, and how many they are: a mean is read with its count.
        "travelled_units": travel_units,
        "mean_travel_s": _round(sum(u * s for u, s in travelled) / travel_units) if travel_units else None,
    }


def escalated(view: View) -> dict[str, int]:
    """Needs passed to the street, and what became of them by the end of the drill."""
    tracks = [t for t in view.tracks() if t.escalated]
    out = {"needs": len(tracks), **dict.fromkeys(OUTCOMES, 0)}
    for t in tracks:
        out[view.status(t)] += 1
    return out


def coverage_series(view: View) -> dict[str, list[list[float]]]:
    """Per priority: ``[seconds, share of its needs reached by then]`` at each arrival (cancelled left out)."""
    series: dict[str, list[list[float]]] = {}
    for p in DESCENDING:
        tracks = view.of_priority(p)
        if not tracks:
            continue
        times = sorted(t.reached_s for t in tracks if t.reached_s is not None)
        series[str(p)] = [[0.0, 0.0]] + [
            [_round(s) or 0.0, round(k / len(tracks), 4)] for k, s in enumerate(times, 1)
        ]
    return series


def unmet_needs(view: View) -> list[dict[str, object]]:
    explained = {u.need: u for plan in view.record.final_plans.values() for u in plan.unmet}
    out = []
    for t in view.tracks():
        if view.status(t) != "unmet":
            continue
        u = explained.get(t.id)
        if u is not None and t.in_flight is None:
            reason, detail, suggestion = u.reason.value, u.detail, u.suggestion.text
        elif t.in_flight is not None:
            reason, suggestion = "in_progress", "跟进现场进度 follow up on site"
            detail = f"已派出（{t.in_flight.value}），演练结束时工作尚未完成"
        else:
            reason, detail, suggestion = (
                "not_planned",
                "演练结束时尚未进入方案",
                "延长演练或提前上报 report earlier",
            )
        out.append(
            {
                "need": t.id,
                "capability": t.capability,
                "priority": view.priority[t.id],
                "reason": reason,
                "reason_zh": REASON_ZH.get(reason, reason),
                "detail": detail,
                "suggestion": suggestion,
                "reached": t.reached_s is not None,
                "escalated": t.escalated,
            }
        )
    return out


# -- expectations ---------------------------------------------------------------------------------------


def evaluate(expectation: Expectation, view: View, alone: View | None = None) -> dict[str, object]:
    """Whether the run meets ``expectation``; ``late`` names the needs that break a reach-within promise.
    ``alone``: the same dispatcher's run of the street with each community alone (for ``street_ahead``)."""
    match expectation:
        case ReachWithin():
            tracks = view.counted(expectation.priority)
            on_time = [t for t in tracks if (r := response_s(t)) is not None and r <= expectation.within]
            late = [t for t in tracks if t not in on_time]
            wanted = math.ceil(expectation.share * len(tracks) - 1e-9)
            return {
                "name": expectation.title(),
                "holds": len(on_time) >= wanted,
                "detail": f"{len(on_time)}/{len(tracks)} reached within {clock(expectation.within)}",
                "late": [
                    {"need": t.id, "priority": view.priority[t.id], "response_s": _round(response_s(t))}
                    for t in late
                ],
            }
        case MaxUnmet():
            unmet = [t for t in view.tracks(expectation.priority) if view.status(t) == "unmet"]
            return {
                "name": expectation.title(),
                "holds": len(unmet) <= expectation.count,
                "detail": f"{len(unmet)} unmet (at most {expectation.count})",
                "late": [],
            }
        case MinServed():
            tracks = view.counted(expectation.priority)
            served = sum(1 for t in tracks if view.status(t) == "served")
            share = served / len(tracks) if tracks else 1.0
            return {
                "name": expectation.title(),
                "holds": share + 1e-9 >= expectation.share,
                "detail": f"{served}/{len(tracks)} served ({share:.0%}; at least {expectation.share:.0%})",
                "late": [],
            }
        case StreetAhead():
            street = in_time_count(view, expectation.priority)
            alone_count = in_time_count(alone, expectation.priority) if alone is not None else None
            counted = len(view.counted(expectation.priority))
            return {
                "name": expectation.title(),
                "holds": alone_count is not None and street >= alone_count + expectation.more,
                "detail": f"{street}/{counted} in time with the street, {alone_count}/{counted} alone "
                f"(at least {expectation.more} more)",
                "late": [],
            }


def in_time_count(view: View, priority: int) -> int:
    return sum(1 for t in view.counted(priority) if view.in_time(t))


# -- a street -------------------------------------------------------------------------------------------


def cross_community(view: View) -> dict[str, object]:
    """Dispatches sent to a need of another community than their units' own (or from the street's pool):
    how many and how many units, by owner and by the sharing rule that let them go (``by_hand``: sent by the
    street desk or a cadre's override), and how many went to life-safety needs."""
    lent = view.record.lent
    by_owner: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    for entry in lent:
        by_owner[entry.owner] += 1
        by_rule[entry.shared_by] += 1
    return {
        "dispatches": len(lent),
        "units": sum(entry.units for entry in lent),
        "life_safety": sum(1 for entry in lent if view.priority.get(entry.need) == LIFE_SAFETY),
        "by_owner": dict(sorted(by_owner.items())),
        "by_rule": dict(sorted(by_rule.items())),
    }


def escalation_answers(view: View) -> dict[str, dict[str, int]]:
    """Escalated needs by the street's first answer (``covered``: sent units covered it before the street
    desk came to it; ``unanswered``: no answer by the end), and what became of them: reached at all, reached
    in time, served at the end."""
    out: dict[str, dict[str, int]] = {}
    for t in view.tracks():
        if not t.escalated:
            continue
        kind = t.answers[0].value if t.answers else "covered" if t.covered else "unanswered"
        figures = out.setdefault(kind, {"needs": 0, "reached": 0, "in_time": 0, "served": 0})
        figures["needs"] += 1
        figures["reached"] += t.reached_s is not None
        figures["in_time"] += view.status(t) != "cancelled" and view.in_time(t)
        figures["served"] += view.status(t) == "served"
    return {kind: out[kind] for kind in ANSWER_ORDER if kind in out}
