"""Why a need is not (fully) served, and what a cadre can do about it."""

import re
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np

from engine.matching.memo import PlanMemo
from engine.matching.params import SolveParams
from engine.matching.prepare import (
    BoolArray,
    IntArray,
    Prepared,
    Screen,
    passes,
    ragged,
    reach_table,
    reached_pairs,
)
from engine.model.ids import NodeId, RuleName
from engine.model.plan import ESCALATE, Suggestion, Unmet, UnmetReason
from engine.model.priority import HIGHEST
from engine.rules.builtin import NEED_TRAVEL_LIMIT
from engine.travel import UNREACHABLE, RoadGraph, travel_matrix

MODE_ZH = {"incident": "应急", "normal": "常态"}
MODE_EN = {"incident": "incident", "normal": "normal"}
# A kept text's mode word (Chinese) as it reads in English.
_MODE_EN_OF_ZH = {MODE_ZH[mode]: MODE_EN[mode] for mode in MODE_ZH}

# Every text an explanation writes, Chinese (as plans keep it) and English (as a reader who chose English reads
# it): the plan stores the Chinese, and restate() reads its fields back out to write it again in either language,
# with names for the codes. Keys name the templates the code below formats.
TEXTS: dict[str, tuple[str, str]] = {
    "relax": ("考虑放宽规则「{rule}」", "Consider relaxing rule “{rule}”"),
    "escalate": (ESCALATE.text, "Escalate to the street: ask for the street's pool"),
    "escalate_neighbour": (
        "上报街道，请街道调派街道资源库或协调邻社区支援",
        "Escalate to the street: ask for its pool or a neighbour's help",
    ),
    "committed": (
        "符合条件的资源（{ids}）已全部派往其他需求",
        "Every suitable unit ({ids}) is sent to other needs",
    ),
    "committed_lowest": (
        "符合条件的资源（{ids}）已全部派往其他需求（其中最低优先级为 {lowest}）",
        "Every suitable unit ({ids}) is sent to other needs (the lowest priority among them {lowest})",
    ),
    "committed_whole": (
        "符合条件的资源（{ids}）已全部派往其他需求，剩余数量凑不齐一整组",
        "Every suitable unit ({ids}) is sent to other needs; what is left does not make a whole set",
    ),
    "committed_lowest_whole": (
        "符合条件的资源（{ids}）已全部派往其他需求（其中最低优先级为 {lowest}），剩余数量凑不齐一整组",
        "Every suitable unit ({ids}) is sent to other needs (the lowest priority among them {lowest}); "
        "what is left does not make a whole set",
    ),
    "no_capability": ("资源库中没有能提供「{cap}」的资源", "The pool has nothing that provides “{cap}”"),
    "missing_certification": (
        "有 {n} 个「{cap}」资源，但都不具备所需资质：{missing}",
        "{n} “{cap}” units, but none holds the certification needed: {missing}",
    ),
    "not_available": (
        "「{cap}」资源都已离线、忙碌或不在{mode}模式下服务",
        "Every “{cap}” unit is off, busy or does not serve in {mode} mode",
    ),
    "excluded_by_rule": (
        "可用的「{cap}」资源都被规则「{rule}」排除",
        "Rule “{rule}” rules out every free “{cap}” unit",
    ),
    "not_lent": (
        "可用的「{cap}」资源属于其他社区，按共享规则现在不外借",
        "The free “{cap}” units are another community's, not lent now under the sharing rules",
    ),
    "declined": ("可用的「{cap}」资源都已拒绝这项需求", "Every free “{cap}” unit declined this need"),
    "declined_do": (
        "联系拒绝的单位了解原因（{m} 分钟后会再次考虑它们），急需请上报街道",
        "Call those who declined to ask why (they are considered again in {m} min); if urgent, escalate",
    ),
    "not_acknowledged": ("可用的「{cap}」资源都未及时接单", "No free “{cap}” unit accepted in time"),
    "not_acknowledged_do": (
        "打电话确认能否出动（{m} 分钟后会再次考虑它们），急需请上报街道",
        "Call to check they can go (they are considered again in {m} min); if urgent, escalate",
    ),
    "no_open_road": ("派出的「{cap}」资源报告无路可达", "The “{cap}” unit sent found no road through"),
    "no_open_road_do": (
        "在地图上标出封闭的道路，系统按现有道路重新规划；急需请上报街道",
        "Mark the closed roads on the map to plan again on the open ones; if urgent, escalate",
    ),
    "road_closed": (
        "道路封闭，「{cap}」资源无法在 {s} 秒内到达",
        "Roads are closed: no “{cap}” unit can arrive within {s} s",
    ),
    "out_of_range": ("没有「{cap}」资源能在 {s} 秒内到达", "No “{cap}” unit can arrive within {s} s"),
    "out_of_range_rule": (
        "没有「{cap}」资源能在 {s} 秒内到达（规则「{rule}」）",
        "No “{cap}” unit can arrive within {s} s (rule “{rule}”)",
    ),
}


def text(key: str, **fields: object) -> str:
    """The Chinese text ``key`` with its fields: what a plan keeps."""
    return TEXTS[key][0].format(**fields)


# Each Chinese template as a pattern whose groups are its fields, with the words it starts with (only those
# that start a text are tried: a plan may hold thousands), the longest first (a template that is another's
# start must not win over it).
_PATTERNS = sorted(
    (
        (
            zh.split("{")[0],
            re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(zh)) + "$"),
            key,
        )
        for key, (zh, _) in TEXTS.items()
    ),
    key=lambda entry: -len(TEXTS[entry[2]][0]),
)


class Names:
    """How a reader names the codes a text holds: a capability, a resource (by id), a rule; none need be known."""

    def __init__(
        self,
        capability: Callable[[str], str] = str,
        resource: Callable[[str], str] = str,
        rule: Callable[[str], str] = str,
    ) -> None:
        self.capability, self.resource, self.rule = capability, resource, rule


def restate(kept: str, lang: str, names: Names) -> str:
    """A text an explanation wrote (in Chinese, with codes) in ``lang`` ("zh" or "en") with names for the codes.
    A text no template wrote (written by a person or an older version) is returned as it is."""
    for start, pattern, key in _PATTERNS:
        found = pattern.match(kept) if kept.startswith(start) else None
        if found is None:
            continue
        fields = dict(found.groupdict())
        if "cap" in fields:
            fields["cap"] = names.capability(fields["cap"])
        if "rule" in fields:
            fields["rule"] = names.rule(fields["rule"])
        if "ids" in fields:
            more = fields["ids"].endswith("等")
            ids = [names.resource(i) for i in fields["ids"].removesuffix("等").split("、")]
            fields["ids"] = ("、" if lang == "zh" else ", ").join(ids) + (
                ("等" if lang == "zh" else " …") if more else ""
            )
        if "mode" in fields and lang != "zh":
            fields["mode"] = _MODE_EN_OF_ZH.get(fields["mode"], fields["mode"])
        return TEXTS[key][0 if lang == "zh" else 1].format(**fields)
    return kept


def relax(rule: RuleName) -> Suggestion:
    return Suggestion(action="relax_rule", rule=rule, text=text("relax", rule=rule))


Verdict = tuple[UnmetReason, str, Suggestion]


def explain_unmet(
    prepared: Prepared,
    units: Mapping[tuple[int, int], int],
    memo: PlanMemo,
    params: SolveParams,
    served: IntArray,
) -> list[Unmet]:
    """Why each need short of ``served`` (whole units per need) is, in one pass over all of them.

    The first part of a need that fails a test names the reason, tests running from the most basic. Needs
    that ask alike share one screening of their capability's resources (:class:`_Kinds`); which resources
    reach each need is read for all of them at once from the travel table.
    """
    t = prepared.tables
    short = np.flatnonzero(t.need_quantity > served)
    if len(short) == 0:
        return []
    slots_per_need = np.diff(np.append(t.need_first_slot, len(t.slot_need)))
    slots = ragged(t.need_first_slot[short], slots_per_need[short])
    kinds = _Kinds(prepared, slots)
    verdicts: dict[int, Verdict] = {}
    screened = [s for s, k in zip(slots.tolist(), kinds.of_slot, strict=True) if kinds.verdict[k] is None]
    # The range test: a need's resources that passed every other test, within its travel limit.
    slot, resource, travel = reached_pairs(t, t.reach, np.array(screened, dtype=np.int64))
    ok = (travel <= t.need_limit[t.slot_need[slot]]) & kinds.passed(slot, resource)
    eligible_slot, eligible = slot[ok], resource[ok]
    in_range = set(np.unique(eligible_slot).tolist())
    out_of_range = [s for s in screened if s not in in_range]
    closed = _closed_roads(prepared, params, kinds, out_of_range)
    for s in out_of_range:
        verdicts[s] = _out_of_range(prepared, s, kinds, s in closed, params)
    for s, k in zip(slots.tolist(), kinds.of_slot, strict=True):
        verdict = kinds.verdict[k]
        if verdict is not None:
            verdicts[s] = verdict
    committed = _AllCommitted(prepared, units, t.slot_need[eligible_slot], eligible)
    unmet = []
    for n, first, count, quantity, done, priority in zip(
        short.tolist(),
        t.need_first_slot[short].tolist(),
        slots_per_need[short].tolist(),
        t.need_quantity[short].tolist(),
        served[short].tolist(),
        t.priority[short].tolist(),
        strict=True,
    ):
        found = None
        for s in range(first, first + count):
            found = verdicts.get(s)
            if found is not None:
                break
        reason, detail, suggestion = found or committed.verdict(n)
        need = prepared.problem.needs[n].id
        unmet.append(memo.unmet((need, quantity - done, priority, reason, detail, suggestion)))
    return unmet


class _Kinds:
    """Slots that ask alike, screened once per kind against their capability's resources.

    A kind is the capability, the certifications asked for, the profile rules whose need condition holds,
    the need's community and priority: together they decide every test but range. A need some pair of which
    a person ruled out (a decline, a missed acknowledgement) is a kind of its own.
    """

    def __init__(self, prepared: Prepared, slots: IntArray) -> None:
        t = prepared.tables
        self._prepared = prepared
        ruled_out = set((t.excluded // max(1, len(t.serves))).tolist())
        index: dict[tuple[object, ...], int] = {}
        self.of_slot: list[int] = []
        first: list[int] = []
        for s in slots.tolist():
            slot = prepared.slots[s]
            facts = prepared.need_facts[slot.need]
            key = (
                slot.capability,
                slot.requires,
                facts.eligibility,
                facts.community,
                facts.priority,
                slot.need if slot.need in ruled_out else -1,
            )
            if key not in index:
                index[key] = len(first)
                first.append(s)
            self.of_slot.append(index[key])
        # Each kind's first slot against every resource of its capability, all kinds at once.
        resources = len(t.serves)
        groups = [t.groups.get(prepared.slots[s].capability, np.zeros(0, np.int64)) for s in first]
        kind = np.repeat(np.arange(len(first), dtype=np.int64), [len(g) for g in groups])
        resource = np.concatenate([np.zeros(0, np.int64), *groups])
        ok = passes(prepared, np.array(first, dtype=np.int64)[kind], resource)
        # Per kind and resource: passed every test but range (resources of other capabilities never do).
        self._passed = np.zeros(len(first) * resources, dtype=np.bool_)
        self._passed[kind[ok] * resources + resource[ok]] = True
        # A kind no resource passes fails one of the tests: screened again on its own to say which.
        passing = np.bincount(kind[ok], minlength=len(first)) > 0
        self.verdict: list[Verdict | None] = [
            None if passing[k] else _screened_out(prepared, s, prepared.screen(s))
            for k, s in enumerate(first)
        ]
        self._kind = np.full(len(t.slot_need), -1, dtype=np.int64)
        self._kind[slots] = self.of_slot

    def candidates(self, slot: int) -> IntArray:
        """The resources of the slot's kind that pass every test but range."""
        resources = len(self._prepared.tables.serves)
        k = int(self._kind[slot])
        result: IntArray = np.flatnonzero(self._passed[k * resources : (k + 1) * resources])
        return result

    def passed(self, slots: IntArray, resources: IntArray) -> BoolArray:
        result: BoolArray = self._passed[self._kind[slots] * len(self._prepared.tables.serves) + resources]
        return result


def _closed_roads(prepared: Prepared, params: SolveParams, kinds: _Kinds, slots: list[int]) -> set[int]:
    """The slots out of range only because of closed roads: in range on the open roads."""
    problem = prepared.problem
    if not problem.graph.closures or not slots:
        return set()
    t = prepared.tables
    # The reach table of prepare, on the open roads: the same places and per-place limits.
    table = reach_table(
        problem.graph.open_graph(),
        sorted({n.location for n in problem.needs}),
        sorted({r.location for r in problem.resources}),
        t.need_row,
        t.need_limit,
        params,
    )
    slot, resource, seconds = reached_pairs(t, table, np.array(slots, dtype=np.int64))
    ok = (seconds <= t.need_limit[t.slot_need[slot]]) & kinds.passed(slot, resource)
    return set(np.unique(slot[ok]).tolist())


class _AllCommitted:
    """Needs every test lets through: their eligible resources, named, are all sent elsewhere."""

    def __init__(
        self, prepared: Prepared, units: Mapping[tuple[int, int], int], need: IntArray, resource: IntArray
    ):
        self._prepared = prepared
        problem = prepared.problem
        count = max(1, len(problem.resources))
        pairs = np.unique(need * count + resource)
        need, resource = pairs // count, pairs % count
        # Each need's resources in the order of their ids.
        used = np.unique(resource)
        ids = [problem.resources[r].id for r in used.tolist()]
        rank = np.zeros(count, dtype=np.int64)
        rank[used[sorted(range(len(ids)), key=ids.__getitem__)]] = np.arange(len(ids))
        order = np.lexsort((rank[resource], need))
        need, resource = need[order], resource[order]
        self._resources: list[int] = resource.tolist()
        # Per need: where its resources start and end, and the lowest priority another need took them at.
        needs, starts = np.unique(need, return_index=True)
        ends = np.append(starts[1:], len(need)) if len(need) else starts
        taken = self._lowest_taker(units, need, resource)
        # 0 (none) counts as above every priority, so the least taken one wins.
        lowest = np.minimum.reduceat(np.where(taken > 0, taken, HIGHEST + 1), starts) if len(need) else taken
        self._at = {
            n: (lo, hi, low if low <= HIGHEST else 0)
            for n, lo, hi, low in zip(
                needs.tolist(), starts.tolist(), ends.tolist(), lowest.tolist(), strict=True
            )
        }

    def _lowest_taker(
        self, units: Mapping[tuple[int, int], int], need: IntArray, resource: IntArray
    ) -> IntArray:
        """Per pair, the lowest priority at which another need holds units of the resource (0: none)."""
        t = self._prepared.tables
        count = max(1, len(t.serves))
        held = [key for key, q in units.items() if q]
        taker = t.slot_need[np.fromiter((s for s, _ in held), dtype=np.int64, count=len(held))]
        by = np.fromiter((r for _, r in held), dtype=np.int64, count=len(held))
        priority = t.priority[taker]
        # Per resource, its takers by priority (then need): the first is the lowest; the lowest priority of
        # any other need is that of the first entry with another need.
        order = np.lexsort((taker, priority, by))
        by, taker, priority = by[order], taker[order], priority[order]
        resources, first = np.unique(by, return_index=True)
        group = np.repeat(np.arange(len(first)), np.diff(np.append(first, len(by))))
        other = np.where(taker != taker[first][group], priority, HIGHEST + 1)
        lowest_other = np.minimum.reduceat(other, first) if len(first) else other
        first_need = np.full(count, -1, dtype=np.int64)
        lowest = np.zeros(count, dtype=np.int64)
        second = np.zeros(count, dtype=np.int64)
        first_need[resources], lowest[resources] = taker[first], priority[first]
        second[resources] = np.where(lowest_other <= HIGHEST, lowest_other, 0)
        result: IntArray = np.where(first_need[resource] != need, lowest[resource], second[resource])
        return result

    def verdict(self, n: int) -> Verdict:
        problem = self._prepared.problem
        lo, hi, lowest = self._at[n]
        # Units offered after their current job are named by their resource, once.
        names: list[str] = []
        for r in self._resources[lo:hi]:
            name = problem.real_id(problem.resources[r].id)
            if name not in names:
                names.append(name)
                if len(names) > 5:
                    break
        ids = "、".join(names[:5]) + ("等" if len(names) > 5 else "")
        key = (
            "committed" + ("_lowest" if lowest else "") + ("_whole" if problem.needs[n].combinatorial else "")
        )
        return UnmetReason.ALL_COMMITTED, text(key, ids=ids, lowest=lowest), ESCALATE


def _screened_out(prepared: Prepared, s: int, screen: Screen) -> Verdict | None:
    """The first test but range that no resource of the slot's capability passes."""
    slot = prepared.slots[s]
    cap = slot.capability
    if len(screen.resources) == 0:
        return UnmetReason.NO_CAPABILITY, text("no_capability", cap=cap), ESCALATE
    if not screen.certified.any():
        missing = "、".join(sorted(slot.requires))
        return (
            UnmetReason.MISSING_CERTIFICATION,
            text("missing_certification", n=len(screen.resources), cap=cap, missing=missing),
            ESCALATE,
        )
    usable = screen.certified & screen.serving
    if not usable.any():
        mode = MODE_ZH[prepared.problem.mode.value]
        return UnmetReason.NOT_AVAILABLE, text("not_available", cap=cap, mode=mode), ESCALATE
    if not (usable & screen.allowed).any():
        rule = _excluding_rule(prepared, s, screen, usable)
        if rule in PEOPLE:
            return _ruled_out_by_people(prepared, cap, rule)
        return UnmetReason.EXCLUDED_BY_RULE, text("excluded_by_rule", cap=cap, rule=rule), relax(rule)
    if not (usable & screen.allowed & screen.shared).any():
        return (
            UnmetReason.NOT_LENT,
            text("not_lent", cap=cap),
            Suggestion(action="escalate_to_street", text=text("escalate_neighbour")),
        )
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
# a cadre can do (the texts: the reason's key in TEXTS, and that key + "_do").
PEOPLE: dict[str, str] = {
    UnmetReason.DECLINED: "escalate_to_street",
    UnmetReason.NOT_ACKNOWLEDGED: "escalate_to_street",
    UnmetReason.NO_OPEN_ROAD: "mark_road",
}


def _ruled_out_by_people(prepared: Prepared, cap: str, why: str) -> tuple[UnmetReason, str, Suggestion]:
    m = prepared.problem.dispatch.exclusion_s // 60
    return UnmetReason(why), text(why, cap=cap), Suggestion(action=PEOPLE[why], text=text(f"{why}_do", m=m))


def _out_of_range(
    prepared: Prepared, s: int, kinds: _Kinds, road_closed: bool, params: SolveParams
) -> Verdict:
    problem = prepared.problem
    slot = prepared.slots[s]
    facts = prepared.need_facts[slot.need]
    limit = min(facts.limit_s or params.max_travel_s, params.max_travel_s)
    if road_closed:
        return (
            UnmetReason.ROAD_CLOSED,
            text("road_closed", cap=slot.capability, s=limit),
            ESCALATE,
        )
    detail = text("out_of_range", cap=slot.capability, s=limit)
    if facts.limit_rule is not None and facts.limit_rule != NEED_TRAVEL_LIMIT:
        sources = sorted({problem.resources[int(r)].location for r in kinds.candidates(s)})
        target = [problem.needs[slot.need].location]
        farther = _travel(params, problem.graph, sources, target, params.max_travel_s)
        if (farther < UNREACHABLE).any():
            return (
                UnmetReason.OUT_OF_RANGE,
                text("out_of_range_rule", cap=slot.capability, s=limit, rule=facts.limit_rule),
                relax(facts.limit_rule),
            )
    return UnmetReason.OUT_OF_RANGE, detail, ESCALATE


def _travel(
    params: SolveParams, graph: RoadGraph, sources: list[NodeId], targets: list[NodeId], limit: int
) -> np.ndarray:
    if params.travel_cache is not None:
        return params.travel_cache.matrix(graph, sources, targets, limit, params.travel_backend)
    return travel_matrix(graph, sources, targets, limit, params.travel_backend)
