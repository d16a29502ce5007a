"""Why a need is not (fully) served, and what a cadre can do about it."""

from collections import Counter
from collections.abc import Mapping

import numpy as np

from engine.matching.objective import served_units, units_by_need
from engine.matching.params import SolveParams
from engine.matching.prepare import Prepared, Screen
from engine.model.ids import NodeId, RuleName
from engine.model.plan import Suggestion, Unmet, UnmetReason
from engine.rules.builtin import NEED_TRAVEL_LIMIT
from engine.travel import UNREACHABLE, RoadGraph, TravelTable, travel_matrix

ESCALATE = Suggestion(action="escalate_to_street", text="上报街道，请求街道资源库支援")
MODE_ZH = {"incident": "应急", "normal": "常态"}


def relax(rule: RuleName) -> Suggestion:
    return Suggestion(action="relax_rule", rule=rule, text=f"考虑放宽规则「{rule}」")


def explain_unmet(
    prepared: Prepared, units: Mapping[tuple[int, int], int], params: SolveParams
) -> list[Unmet]:
    per_need = units_by_need(prepared, units)
    # Who holds each resource's units: read once here, not once per unmet need.
    takers: dict[int, list[tuple[int, int]]] = {}
    for (s, r), q in units.items():
        if q:
            taker = prepared.slots[s].need
            takers.setdefault(r, []).append((taker, prepared.need_facts[taker].priority))
    open_roads = _OpenRoads(prepared, params)
    unmet = []
    for n, need in enumerate(prepared.problem.needs):
        missing = need.quantity - served_units(prepared, n, per_need.get(n, {}))
        if missing <= 0:
            continue
        reason, detail, suggestion = _diagnose(prepared, n, takers, params, open_roads)
        unmet.append(
            Unmet(
                need=need.id,
                quantity=missing,
                priority=prepared.need_facts[n].priority,
                reason=reason,
                detail=detail,
                suggestion=suggestion,
            )
        )
    return unmet


def _diagnose(
    prepared: Prepared,
    n: int,
    takers: Mapping[int, list[tuple[int, int]]],
    params: SolveParams,
    open_roads: "_OpenRoads",
) -> tuple[UnmetReason, str, Suggestion]:
    # The first part of the need that fails a test names the reason; tests run from the most basic.
    screens = {s: prepared.screen(s) for s in prepared.slots_of_need[n]}
    for s, screen in screens.items():
        verdict = _screened_out(prepared, s, screen, params, open_roads)
        if verdict is not None:
            return verdict
    eligible = sorted(
        {r for screen in screens.values() for r in _eligible(screen)},
        key=lambda r: prepared.problem.resources[r].id,
    )
    taken_at = [priority for r in eligible for need, priority in takers.get(r, ()) if need != n]
    problem = prepared.problem
    # Units offered after their current job are named by their resource, once.
    names = list(dict.fromkeys(problem.real_id(problem.resources[r].id) for r in eligible))
    ids = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
    lowest = f"（其中最低优先级为 {min(taken_at)}）" if taken_at else ""
    detail = f"符合条件的资源（{ids}）已全部派往其他需求{lowest}"
    if prepared.problem.needs[n].combinatorial:
        detail += "，剩余数量凑不齐一整组"
    return UnmetReason.ALL_COMMITTED, detail, ESCALATE


def _eligible(screen: Screen) -> list[int]:
    ok = screen.certified & screen.serving & screen.allowed & screen.shared & screen.in_range
    return [int(r) for r in screen.resources[ok]]


def _screened_out(
    prepared: Prepared, s: int, screen: Screen, params: SolveParams, open_roads: "_OpenRoads"
) -> tuple[UnmetReason, str, Suggestion] | None:
    slot = prepared.slots[s]
    cap = slot.capability
    if len(screen.resources) == 0:
        return UnmetReason.NO_CAPABILITY, f"资源库中没有能提供「{cap}」的资源", ESCALATE
    if not screen.certified.any():
        missing = "、".join(sorted(slot.requires))
        return (
            UnmetReason.MISSING_CERTIFICATION,
            f"有 {len(screen.resources)} 个「{cap}」资源，但都不具备所需资质：{missing}",
            ESCALATE,
        )
    usable = screen.certified & screen.serving
    if not usable.any():
        mode = MODE_ZH[prepared.problem.mode.value]
        return UnmetReason.NOT_AVAILABLE, f"「{cap}」资源都已离线、忙碌或不在{mode}模式下服务", ESCALATE
    if not (usable & screen.allowed).any():
        rule = _excluding_rule(prepared, s, screen, usable)
        if rule in PEOPLE:
            return _ruled_out_by_people(prepared, cap, rule)
        return UnmetReason.EXCLUDED_BY_RULE, f"可用的「{cap}」资源都被规则「{rule}」排除", relax(rule)
    if not (usable & screen.allowed & screen.shared).any():
        return (
            UnmetReason.NOT_LENT,
            f"可用的「{cap}」资源属于其他社区，按共享规则现在不外借",
            Suggestion(action="escalate_to_street", text="上报街道，请街道调派街道资源库或协调邻社区支援"),
        )
    usable &= screen.shared
    if not (usable & screen.allowed & screen.in_range).any():
        return _out_of_range(prepared, s, screen.resources[usable & screen.allowed], params, open_roads)
    return None


def _excluding_rule(prepared: Prepared, s: int, screen: Screen, usable: np.ndarray) -> RuleName:
    problem = prepared.problem
    need_id = problem.needs[prepared.slots[s].need].id
    named: Counter[RuleName] = Counter()
    for k in np.flatnonzero(usable):
        resource = int(screen.resources[k])
        if screen.excluded_by[k] >= 0:
            named[problem.rules.eligibility[int(screen.excluded_by[k])].name] += 1
        elif (need_id, problem.resources[resource].id) in problem.excluded:
            named[RuleName(problem.excluded[(need_id, problem.resources[resource].id)])] += 1
        else:
            resting = prepared.resource_facts[resource].resting_by
            if resting is not None:
                named[resting] += 1
    # The rule that keeps back the most resources; ties go to the name that sorts first.
    return min(named, key=lambda name: (-named[name], name))


# Pairs people ruled out for a while: each is its own reason, and none is a rule to relax. Per reason, what
# a cadre reads and what they can do ({cap}: the capability; {again}: when the pairs come back).
PEOPLE: dict[str, tuple[str, str, str]] = {
    UnmetReason.DECLINED: (
        "可用的「{cap}」资源都已拒绝这项需求",
        "escalate_to_street",
        "联系拒绝的单位了解原因（{again}），急需请上报街道",
    ),
    UnmetReason.NOT_ACKNOWLEDGED: (
        "可用的「{cap}」资源都未及时接单",
        "escalate_to_street",
        "打电话确认能否出动（{again}），急需请上报街道",
    ),
    UnmetReason.NO_OPEN_ROAD: (
        "派出的「{cap}」资源报告无路可达",
        "mark_road",
        "在地图上标出封闭的道路，系统按现有道路重新规划；急需请上报街道",
    ),
}


def _ruled_out_by_people(prepared: Prepared, cap: str, why: str) -> tuple[UnmetReason, str, Suggestion]:
    detail, action, text = PEOPLE[why]
    again = f"{prepared.problem.dispatch.exclusion_s // 60} 分钟后会再次考虑它们"
    return UnmetReason(why), detail.format(cap=cap), Suggestion(action=action, text=text.format(again=again))


def _out_of_range(
    prepared: Prepared, s: int, candidates: np.ndarray, params: SolveParams, open_roads: "_OpenRoads"
) -> tuple[UnmetReason, str, Suggestion]:
    problem = prepared.problem
    slot = prepared.slots[s]
    facts = prepared.need_facts[slot.need]
    limit = min(facts.limit_s or params.max_travel_s, params.max_travel_s)
    target = [problem.needs[slot.need].location]
    sources = sorted({problem.resources[int(r)].location for r in candidates})
    graph = problem.graph
    if graph.closures and open_roads.reach(slot.need, candidates, sources, limit):
        return (
            UnmetReason.ROAD_CLOSED,
            f"道路封闭，「{slot.capability}」资源无法在 {limit} 秒内到达",
            ESCALATE,
        )
    detail = f"没有「{slot.capability}」资源能在 {limit} 秒内到达"
    if facts.limit_rule is not None and facts.limit_rule != NEED_TRAVEL_LIMIT:
        farther = _travel(params, graph, sources, target, params.max_travel_s)
        if (farther < UNREACHABLE).any():
            return (
                UnmetReason.OUT_OF_RANGE,
                f"{detail}（规则「{facts.limit_rule}」）",
                relax(facts.limit_rule),
            )
    return UnmetReason.OUT_OF_RANGE, detail, ESCALATE


class _OpenRoads:
    """Whether a need would be in reach with every road open, asked once per out-of-range need.

    With a travel cache, all needs are looked up in one table over the open roads, made on first use (its
    rows are mostly kept from earlier plans); without one, each need is searched on its own.
    """

    def __init__(self, prepared: Prepared, params: SolveParams) -> None:
        self._prepared = prepared
        self._params = params
        self._table: TravelTable | None = None

    def reach(self, need: int, candidates: np.ndarray, sources: list[NodeId], limit: int) -> bool:
        problem, params = self._prepared.problem, self._params
        if params.travel_cache is None:
            target = [problem.needs[need].location]
            return bool((_travel(params, problem.graph.open_graph(), sources, target, limit) <= limit).any())
        t = self._prepared.tables
        if self._table is None:
            # The reach table of prepare, on the open roads: the same places and per-place limits.
            limits = np.zeros(t.reach.num_targets, dtype=np.int64)
            np.maximum.at(limits, t.need_row, t.need_limit)
            self._table = params.travel_cache.table(
                problem.graph.open_graph(),
                sorted({r.location for r in problem.resources}),
                sorted({n.location for n in problem.needs}),
                limits.tolist(),
                params.travel_backend,
            )
        seconds = self._table.lookup(int(t.need_row[need]), t.resource_col[candidates])
        return bool((seconds <= limit).any())


def _travel(
    params: SolveParams, graph: RoadGraph, sources: list[NodeId], targets: list[NodeId], limit: int
) -> np.ndarray:
    if params.travel_cache is not None:
        return params.travel_cache.matrix(graph, sources, targets, limit, params.travel_backend)
    return travel_matrix(graph, sources, targets, limit, params.travel_backend)
