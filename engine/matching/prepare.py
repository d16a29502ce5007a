"""Everything the solvers share: per-entity facts, travel times and the candidate arcs between them.

Rules are evaluated once per entity (``CompiledProfile`` memoises them) and turned into arrays; candidate
pairs are then screened with numpy over all slots at once, starting from the resources each need's place is
reachable from, so no condition is evaluated per need × resource pair in Python.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem
from engine.matching.stopwatch import Stopwatch
from engine.model.entities import Need
from engine.model.ids import Capability, NodeId
from engine.model.priority import INDEXED_LENGTH, LIFE_SAFETY
from engine.rules.facts import NeedFacts, ResourceFacts
from engine.travel import UNREACHABLE, RoadGraph, TravelCache, TravelTable

IntArray = npt.NDArray[np.int64]
# Lateness counts up to four hours: beyond that a need is as late as can be, and unit costs stay small
# enough for CP-SAT's sums of cost × units (see engine/model/quantity.py).
LATENESS_CAP_S = 4 * 3600
BoolArray = npt.NDArray[np.bool_]
BitArray = npt.NDArray[np.uint64]


class Slot(NamedTuple):
    """What one need asks for of one capability: its primary capability, or one part of its team.

    A named tuple, not a dataclass: every re-plan makes one per need, and a frozen dataclass costs several
    times as much to make."""

    need: int
    part: Capability | None
    capability: Capability
    per_unit: int
    requires: frozenset[str]


@dataclass(frozen=True, slots=True)
class Screen:
    """The resources of a slot's capability, and which of them pass each test in turn."""

    resources: IntArray
    certified: BoolArray
    serving: BoolArray
    allowed: BoolArray
    # False where the resource is kept for its own community's needs (the street's sharing rules).
    shared: BoolArray
    # For each resource, the index of the first profile rule that excluded it (-1: none did).
    excluded_by: IntArray
    # Seconds to the need; UNREACHABLE beyond the travel limit of every need at its place.
    travel: IntArray
    in_range: BoolArray


@dataclass(frozen=True)
class Tables:
    """Per-entity arrays; a pair's facts are read from them by index."""

    # Seconds from resource locations (sources) to need locations (targets), within each need location's limit.
    reach: TravelTable
    need_row: IntArray  # need -> its location among the reach targets
    resource_col: IntArray  # resource -> its location among the reach sources
    need_limit: IntArray  # the travel limit in force for each need
    rule_match: BoolArray  # [resource, eligibility rule]
    need_rules: BoolArray  # [need, eligibility rule]: the rule's need condition holds
    resource_community: IntArray  # -1: none
    # Resources kept for their own community's needs (a joint plan of the street, see MatchingProblem.home_only).
    home_only: BoolArray
    need_community: IntArray  # -2: none, so that it never equals a resource's
    rotation_s: IntArray
    priority: IntArray
    # Seconds until each resource's units are free (0 but for units offered after their current job).
    ready_s: IntArray
    # Seconds more before they set off for another community's need (see MatchingProblem.away).
    away_s: IntArray
    # Per need: seconds already waited, and the response time its priority should meet.
    waited_s: IntArray
    target_s: IntArray
    lateness_weight: int
    late_step_s: int
    life_safety_band_s: int
    # Expected seconds from a proposal to setting off (confirmation, answer, getting ready).
    setoff_s: int
    groups: dict[Capability, IntArray]
    capability: IntArray  # per resource, a code shared with slot_capability
    serves: BoolArray
    certifications: BitArray  # [resource, word]: one bit per certification some slot requires
    # The rest rule holding each resource back (len(rest_waived) - 1: none), and whether it is waived per
    # [rule, priority]; the last row stands for "not resting" and waives everything.
    rest_rule: IntArray
    rest_waived: BoolArray
    slot_need: IntArray
    slot_capability: IntArray  # -1: no resource offers it
    slot_per_unit: IntArray
    # Per need: its first slot (a need's slots are contiguous), units asked for, and all-or-nothing.
    need_first_slot: IntArray
    need_quantity: IntArray
    all_or_nothing: BoolArray
    slot_requires: BitArray  # [slot, word]
    # Pairs a person ruled out, as need × len(resources) + resource, ascending.
    excluded: IntArray


@dataclass(frozen=True)
class Prepared:
    problem: MatchingProblem
    need_facts: tuple[NeedFacts, ...]
    resource_facts: tuple[ResourceFacts, ...]
    slots: tuple[Slot, ...]
    slots_of_need: tuple[tuple[int, ...], ...]
    tables: Tables
    travel_limit_s: int
    # Units pinned per (slot, resource), and units the previous plan had per (slot, resource).
    pinned: dict[tuple[int, int], int]
    previous: dict[tuple[int, int], int]
    # Capacity left for the matcher once pins are taken, per resource; units pinned per slot.
    free: IntArray
    pinned_per_slot: IntArray
    # Travel of pinned pairs, which may lie beyond every limit (a person chose them).
    pinned_travel: dict[tuple[int, int], int | None]
    # Candidate arcs, sorted by (slot, resource): the pairs the matcher may use beyond the pins.
    arc_slot: IntArray
    arc_resource: IntArray
    arc_travel: IntArray
    arc_cost: IntArray
    # Per need: what leaving one unit waiting costs, as if it were reached one response target later, or at
    # the end of its travel limit if sooner (priority × lateness weight × lateness then). The matcher earns
    # it back for each unit it serves, so of two equal needs the one that would be later if left goes first.
    waiting_cost: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Milliseconds per step ("rules", "travel", "screening") when SolveParams has a stopwatch.
    timings_ms: Mapping[str, float] = field(default_factory=dict)

    @cached_property
    def _arc_keys(self) -> list[int]:
        """One sortable key per candidate arc (arcs are sorted by slot, then resource), as plain ints: a
        list of ints is one object for the garbage collector, where a dict of every arc was one per arc."""
        keys: list[int] = (self.arc_slot * max(1, len(self.problem.resources)) + self.arc_resource).tolist()
        return keys

    @cached_property
    def arc_kept(self) -> IntArray:
        """Per candidate arc, the units the previous plan had on it beyond what pins already send."""
        kept = np.zeros(len(self.arc_slot), dtype=np.int64)
        beyond = {key: q - self.pinned.get(key, 0) for key, q in self.previous.items()}
        beyond = {key: q for key, q in beyond.items() if q > 0}
        if beyond and len(kept):
            count = max(1, len(self.problem.resources))
            keys = np.array([s * count + r for s, r in beyond], dtype=np.int64)
            arcs = self.arc_slot * count + self.arc_resource
            at = np.minimum(np.searchsorted(arcs, keys), len(arcs) - 1)
            found = arcs[at] == keys
            kept[at[found]] = np.array(list(beyond.values()), dtype=np.int64)[found]
        return kept

    def _arc(self, slot: int, resource: int) -> int | None:
        """The index of candidate arc (slot, resource), if there is one."""
        keys = self._arc_keys
        key = slot * max(1, len(self.problem.resources)) + resource
        at = bisect_left(keys, key)
        return at if at < len(keys) and keys[at] == key else None

    def travel_s(self, slot: int, resource: int) -> int | None:
        if (slot, resource) in self.pinned_travel:
            return self.pinned_travel[(slot, resource)]
        arc = self._arc(slot, resource)
        if arc is not None:
            return int(self.arc_travel[arc])
        t = self.tables
        target = int(t.need_row[self.slots[slot].need])
        seconds = int(t.reach.lookup(target, t.resource_col[[resource]])[0])
        return None if seconds == UNREACHABLE else seconds

    def pair_travel(self, slots: IntArray, resources: IntArray) -> IntArray:
        """Seconds per (slot, resource) pair, as :meth:`travel_s` gives them; ``UNREACHABLE`` for its None."""
        count = max(1, len(self.problem.resources))
        keys = self.arc_slot * count + self.arc_resource
        wanted = slots * count + resources
        travel = np.zeros(len(wanted), dtype=np.int64)
        on_arc = np.zeros(len(wanted), dtype=np.bool_)
        if len(keys):
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            on_arc = keys[at] == wanted
            travel = np.where(on_arc, self.arc_travel[at], 0)
        # Pinned pairs may lie beyond every limit, and pairs of neither kind are looked up one by one.
        odd = np.flatnonzero(~on_arc).tolist()
        if self.pinned_travel:
            pairs = zip(slots.tolist(), resources.tolist(), strict=True)
            odd += [i for i, pair in enumerate(pairs) if pair in self.pinned_travel]
        for i in odd:
            seconds = self.travel_s(int(slots[i]), int(resources[i]))
            travel[i] = UNREACHABLE if seconds is None else seconds
        return travel

    def pair_costs(self, slots: IntArray, resources: IntArray) -> tuple[IntArray, IntArray]:
        """Per (slot, resource) pair: the cost of one unit (priority × (weight × lateness + seconds to arrive
        + preference seconds)) and its lateness; an unreachable pinned pair counts no travel."""
        travel = self.pair_travel(slots, resources)
        travel[travel == UNREACHABLE] = 0
        return _priced(self.tables, self.problem, self.tables.slot_need[slots], resources, travel)

    def unit_late(self, slot: int, resource: int) -> int:
        """The lateness of one unit of ``resource`` sent to ``slot`` (see :func:`lateness`)."""
        return int(self.pair_costs(np.array([slot]), np.array([resource]))[1][0])

    def screen(self, slot: int) -> Screen:
        s = self.slots[slot]
        group = self.tables.groups.get(s.capability, np.zeros(0, np.int64))
        return _screen(self, slot, group)


def prepare(problem: MatchingProblem, params: SolveParams) -> Prepared:
    clock = Stopwatch(params.stopwatch)
    rules = problem.rules
    need_facts = tuple(rules.need_facts(n, problem.community) for n in problem.needs)
    resource_facts = tuple(
        rules.resource_facts(r, problem.organisations[r.organisation]) for r in problem.resources
    )
    slots, slots_of_need = _slots(problem.needs)
    travel_limit_s = min(
        max((f.limit_s or params.max_travel_s for f in need_facts), default=0), params.max_travel_s
    )
    need_limit = np.array(
        [min(f.limit_s or travel_limit_s, travel_limit_s) for f in need_facts], dtype=np.int64
    )
    need_locations = sorted({n.location for n in problem.needs})
    resource_locations = sorted({r.location for r in problem.resources})
    need_row = _positions([n.location for n in problem.needs], need_locations)
    clock.lap("rules")
    reach = reach_table(problem.graph, need_locations, resource_locations, need_row, need_limit, params)
    clock.lap("travel")
    tables = _tables(
        problem,
        need_facts,
        resource_facts,
        slots,
        slots_of_need,
        reach,
        need_row,
        need_limit,
        resource_locations,
    )

    slot_index = {(s.need, s.part): i for i, s in enumerate(slots)}
    pinned: dict[tuple[int, int], int] = defaultdict(int)
    free = np.array([r.quantity for r in problem.resources], dtype=np.int64)
    pinned_per_slot = np.zeros(len(slots), dtype=np.int64)
    for pin in problem.pinned:
        key = (slot_index[(problem.need_index[pin.need], pin.part)], problem.resource_index[pin.resource])
        pinned[key] += pin.quantity
        free[key[1]] -= pin.quantity
        pinned_per_slot[key[0]] += pin.quantity
    pinned_travel = _pinned_travel(problem, tables, pinned, params)
    previous: dict[tuple[int, int], int] = defaultdict(int)
    for prev in problem.previous:
        key = (slot_index[(problem.need_index[prev.need], prev.part)], problem.resource_index[prev.resource])
        previous[key] += prev.quantity

    prepared = Prepared(
        problem=problem,
        need_facts=need_facts,
        resource_facts=resource_facts,
        slots=slots,
        slots_of_need=slots_of_need,
        tables=tables,
        travel_limit_s=travel_limit_s,
        pinned=dict(pinned),
        previous=dict(previous),
        free=free,
        pinned_per_slot=pinned_per_slot,
        pinned_travel=pinned_travel,
        arc_slot=np.zeros(0, np.int64),
        arc_resource=np.zeros(0, np.int64),
        arc_travel=np.zeros(0, np.int64),
        arc_cost=np.zeros(0, np.int64),
    )
    prepared = _with_arcs(prepared)
    t = tables
    everyone = np.arange(len(problem.needs), dtype=np.int64)
    # A need left waiting is taken to be reached one response target later (or at the end of its travel
    # limit, if sooner): the longer it has waited, the later that is.
    later = np.minimum(need_limit, t.target_s)
    waiting = lateness(t, everyone, t.waited_s + t.setoff_s + later) * t.priority * t.lateness_weight
    prepared = replace(prepared, waiting_cost=waiting.astype(np.int64))
    clock.lap("screening")
    return replace(prepared, timings_ms=clock.laps)


def _travel_cache(params: SolveParams) -> TravelCache:
    # Without a cache from the caller, one lives for this plan only: the answers are the same either way.
    return params.travel_cache if params.travel_cache is not None else TravelCache()


def reach_table(
    graph: RoadGraph,
    need_locations: list[NodeId],
    resource_locations: list[NodeId],
    need_row: IntArray,
    need_limit: IntArray,
    params: SolveParams,
) -> TravelTable:
    # Each need location is searched only as far as the widest limit of the needs there.
    location_limit = np.zeros(len(need_locations), dtype=np.int64)
    np.maximum.at(location_limit, need_row, need_limit)
    return _travel_cache(params).table(
        graph,
        resource_locations,
        need_locations,
        [int(limit) for limit in location_limit],
        params.travel_backend,
    )


def _pinned_travel(
    problem: MatchingProblem, tables: Tables, pinned: dict[tuple[int, int], int], params: SolveParams
) -> dict[tuple[int, int], int | None]:
    if not pinned:
        return {}
    t = tables
    pairs = list(pinned)
    slot = np.array([s for s, _ in pairs], dtype=np.int64)
    resource = np.array([r for _, r in pairs], dtype=np.int64)
    # Most pinned pairs were planned within their need's limit: the reach table has them.
    seconds = t.reach.pairs(t.need_row[t.slot_need[slot]], t.resource_col[resource])
    # The others (a person chose a far unit) are searched as far as travel is ever considered.
    far = np.flatnonzero(seconds == UNREACHABLE).tolist()
    if far:
        source_of = [problem.resources[int(resource[i])].location for i in far]
        target_of = [problem.needs[int(t.slot_need[slot[i]])].location for i in far]
        sources, targets = sorted(set(source_of)), sorted(set(target_of))
        matrix = _travel_cache(params).matrix(
            problem.graph, sources, targets, params.max_travel_s, params.travel_backend
        )
        row = {place: i for i, place in enumerate(sources)}
        column = {place: j for j, place in enumerate(targets)}
        for i, source, target in zip(far, source_of, target_of, strict=True):
            seconds[i] = matrix[row[source], column[target]]
    return {pair: None if v == UNREACHABLE else v for pair, v in zip(pairs, seconds.tolist(), strict=True)}


def _slots(needs: Sequence[Need]) -> tuple[tuple[Slot, ...], tuple[tuple[int, ...], ...]]:
    slots: list[Slot] = []
    of_need: list[tuple[int, ...]] = []
    for i, need in enumerate(needs):
        requires = frozenset(need.requires) if need.requires else _NONE
        if not need.team:  # most needs: one slot, its own capability
            of_need.append((len(slots),))
            slots.append(Slot(i, None, need.capability, 1, requires))
            continue
        first = len(slots)
        slots.append(Slot(i, None, need.capability, 1, requires))
        slots.extend(
            Slot(i, p.capability, p.capability, p.per_unit, frozenset(p.requires)) for p in need.team
        )
        of_need.append(tuple(range(first, len(slots))))
    return tuple(slots), tuple(of_need)


_NONE: frozenset[str] = frozenset()


def _tables(
    problem: MatchingProblem,
    need_facts: tuple[NeedFacts, ...],
    resource_facts: tuple[ResourceFacts, ...],
    slots: tuple[Slot, ...],
    slots_of_need: tuple[tuple[int, ...], ...],
    reach: TravelTable,
    need_row: IntArray,
    need_limit: IntArray,
    resource_locations: list[NodeId],
) -> Tables:
    rules = problem.rules
    known = sorted(
        {c for c in (*(f.community for f in need_facts), *(f.community for f in resource_facts)) if c}
    )
    code = {c: i for i, c in enumerate(known)}
    rule_match = _matching_rules([f.eligibility for f in resource_facts], len(rules.eligibility))
    need_rules = _matching_rules([f.eligibility for f in need_facts], len(rules.eligibility))
    groups: dict[Capability, list[int]] = defaultdict(list)
    for i, resource in enumerate(problem.resources):
        groups[resource.capability].append(i)
    capability_code = {c: i for i, c in enumerate(groups)}
    # One bit per certification that some slot requires; others can never decide a pair.
    labels = sorted({label for s in slots for label in s.requires})
    bit = {label: i for i, label in enumerate(labels)}
    resting = sorted({f.resting_by for f in resource_facts if f.resting_by is not None})
    rest_code = {name: i for i, name in enumerate(resting)}
    dispatch = problem.dispatch
    rest_waived = np.ones((len(resting) + 1, INDEXED_LENGTH), dtype=np.bool_)
    for i, name in enumerate(resting):
        rest_waived[i] = [rules.rest_waived(name, p) for p in range(INDEXED_LENGTH)]
    return Tables(
        reach=reach,
        need_row=need_row,
        resource_col=_positions([r.location for r in problem.resources], resource_locations),
        need_limit=need_limit,
        rule_match=rule_match,
        need_rules=need_rules,
        resource_community=np.array(
            [code.get(f.community, -1) if f.community else -1 for f in resource_facts], dtype=np.int64
        ),
        home_only=np.array([r.id in problem.home_only for r in problem.resources], dtype=np.bool_),
        need_community=np.array(
            [code.get(f.community, -2) if f.community else -2 for f in need_facts], dtype=np.int64
        ),
        rotation_s=np.array([f.rotation_s for f in resource_facts], dtype=np.int64),
        priority=np.array([f.priority for f in need_facts], dtype=np.int64),
        ready_s=np.array([problem.ready_s(r.id) for r in problem.resources], dtype=np.int64),
        away_s=np.array([problem.away_s(r.id) for r in problem.resources], dtype=np.int64),
        waited_s=np.array([problem.waited_s(n) for n in problem.needs], dtype=np.int64),
        target_s=np.array([dispatch.target_s(f.priority) for f in need_facts], dtype=np.int64),
        lateness_weight=dispatch.lateness_weight,
        late_step_s=dispatch.late_step_s,
        life_safety_band_s=dispatch.life_safety_band_s,
        setoff_s=dispatch.setoff_s,
        groups={c: np.array(ix, dtype=np.int64) for c, ix in groups.items()},
        capability=np.array([capability_code[r.capability] for r in problem.resources], dtype=np.int64),
        serves=np.array([f.serves for f in resource_facts], dtype=np.bool_),
        certifications=_bits([r.certifications for r in problem.resources], bit),
        rest_rule=np.array(
            [len(resting) if f.resting_by is None else rest_code[f.resting_by] for f in resource_facts],
            dtype=np.int64,
        ),
        rest_waived=rest_waived,
        slot_need=np.array([s.need for s in slots], dtype=np.int64),
        slot_capability=np.array([capability_code.get(s.capability, -1) for s in slots], dtype=np.int64),
        slot_per_unit=np.array([s.per_unit for s in slots], dtype=np.int64),
        need_first_slot=np.array([of[0] for of in slots_of_need], dtype=np.int64),
        need_quantity=np.array([n.quantity for n in problem.needs], dtype=np.int64),
        all_or_nothing=np.array([n.all_or_nothing for n in problem.needs], dtype=np.bool_),
        slot_requires=_bits([s.requires for s in slots], bit),
        excluded=np.unique(
            np.array(
                [
                    problem.need_index[n] * len(problem.resources) + problem.resource_index[r]
                    for n, r in problem.excluded
                ],
                dtype=np.int64,
            )
        ),
    )


def _matching_rules(matched: Sequence[frozenset[int]], rules: int) -> BoolArray:
    """[entity, rule]: whether the rule's condition holds for the entity, set in one assignment."""
    table = np.zeros((len(matched), rules), dtype=np.bool_)
    rows = [i for i, m in enumerate(matched) for _ in m]
    table[rows, [r for m in matched for r in m]] = True
    return table


def _bits(label_sets: Sequence[Sequence[str] | frozenset[str]], bit: dict[str, int]) -> BitArray:
    words = np.zeros((len(label_sets), max(1, -(-len(bit) // 64))), dtype=np.uint64)
    for row, labels in enumerate(label_sets):
        for label in labels:
            at = bit.get(label)
            if at is not None:
                words[row, at // 64] |= np.uint64(1 << (at % 64))
    return words


def _positions(values: list[NodeId], ordered: list[NodeId]) -> IntArray:
    where = {v: i for i, v in enumerate(ordered)}
    return np.array([where[v] for v in values], dtype=np.int64)


def lateness(tables: Tables, need: IntArray, arrival_s: IntArray) -> IntArray:
    """How late units arriving at ``arrival_s`` (from each need's report) are, in weighted seconds.

    Seconds past the need's target, counted up to :data:`LATENESS_CAP_S` (costs stay well inside 64 bits),
    plus ``late_step_s`` for being late at all, so that more needs are reached in time. For life-safety every
    ``life_safety_band_s`` further late weighs once more (1×, 2×, 3×, then 4×), so the longest waits are cut
    first.
    """
    past = np.clip(arrival_s - tables.target_s[need], 0, LATENESS_CAP_S)
    life_safety = tables.priority[need] == LIFE_SAFETY
    band = max(1, tables.life_safety_band_s)
    steeper = sum(np.maximum(0, past - k * band) for k in range(1, 4)) if tables.life_safety_band_s else 0
    result: IntArray = past + tables.late_step_s * (past > 0) + np.where(life_safety, steeper, 0)
    return result


def _priced(
    tables: Tables, problem: MatchingProblem, need: IntArray, resource: IntArray, travel: IntArray
) -> tuple[IntArray, IntArray]:
    """Per pair, the cost of one unit and its lateness."""
    foreign = tables.resource_community[resource] != tables.need_community[need]
    # A unit arrives after the need has waited, once it has set off and is free (for another community, once
    # the street let it go), and after its travel.
    arrive = tables.ready_s[resource] + foreign.astype(np.int64) * tables.away_s[resource] + travel
    late = lateness(tables, need, tables.waited_s[need] + tables.setoff_s + arrive)
    # Preferences count as extra seconds of travel, so they can never outrank serving a need.
    preference = (
        problem.rules.own_community_penalty_s * foreign.astype(np.int64) + tables.rotation_s[resource]
    )
    cost: IntArray = (tables.lateness_weight * late + arrive + preference) * tables.priority[need]
    return cost, late


def _certified(have: BitArray, wanted: BitArray) -> BoolArray:
    result: BoolArray = ((have & wanted) == wanted).all(axis=1)
    return result


def _excluded_by(prepared: Prepared, rules: Sequence[int], need: IntArray, resource: IntArray) -> IntArray:
    """Per pair, the first eligibility rule (in profile order) that excludes it; -1 where none does.

    ``rules`` lists the rules whose need condition holds for some of the pairs' needs, in profile order.
    """
    t = prepared.tables
    eligibility = prepared.problem.rules.eligibility
    excluded_by = np.full(len(resource), -1, dtype=np.int64)
    same = t.resource_community[resource] == t.need_community[need]
    for r in rules:
        rule = eligibility[r]
        matches = t.rule_match[resource, r]
        if rule.relation == "same_community":
            matches = matches & same
        elif rule.relation == "other_community":
            matches = matches & ~same
        forbidden = matches if rule.effect == "deny" else ~matches
        excluded_by[(excluded_by < 0) & forbidden & t.need_rules[need, r]] = r
    return excluded_by


def _ruled_out(tables: Tables, need: IntArray, resource: IntArray) -> BoolArray:
    """Pairs a person ruled out (a decline, a missed acknowledgement)."""
    if len(tables.excluded) == 0:
        return np.zeros(len(resource), dtype=np.bool_)
    result: BoolArray = np.isin(need * len(tables.serves) + resource, tables.excluded)
    return result


def _screen(prepared: Prepared, slot: int, group: IntArray) -> Screen:
    t = prepared.tables
    need = prepared.slots[slot].need
    facts = prepared.need_facts[need]
    certified = _certified(t.certifications[group], t.slot_requires[[slot]])
    serving = t.serves[group]
    needs = np.full(len(group), need, dtype=np.int64)
    excluded_by = _excluded_by(prepared, sorted(facts.eligibility), needs, group)
    allowed = (excluded_by < 0) & t.rest_waived[t.rest_rule[group], facts.priority]
    allowed &= ~_ruled_out(t, needs, group)
    shared = _shared(t, needs, group)
    travel = t.reach.lookup(int(t.need_row[need]), t.resource_col[group])
    return Screen(
        group, certified, serving, allowed, shared, excluded_by, travel, travel <= t.need_limit[need]
    )


def _shared(tables: Tables, need: IntArray, resource: IntArray) -> BoolArray:
    """Pairs the street's sharing rules allow: a unit kept at home serves its own community's needs only."""
    result: BoolArray = ~tables.home_only[resource] | (
        tables.resource_community[resource] == tables.need_community[need]
    )
    return result


def ragged(starts: IntArray, counts: IntArray) -> IntArray:
    """``concatenate([arange(start, start + count) for start, count in zip(starts, counts)])``, vectorised."""
    ends = np.cumsum(counts)
    result: IntArray = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(
        starts - (ends - counts), counts
    )
    return result


def reached_pairs(tables: Tables, reach: TravelTable, slots: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """(slot, resource, seconds) for each resource of a slot's capability at a place ``reach`` says reaches
    the slot's need within the table's limit for the need's place, in slot order.

    ``reach`` has the layout of ``tables.reach``: targets are the needs' places, sources the resources'.
    """
    t = tables
    slots = slots[t.slot_capability[slots] >= 0]  # no resource offers the capability: no pairs
    # Resources by (capability, location): those of one capability at one place are one run.
    bucket = t.capability * reach.num_sources + t.resource_col
    by_bucket = np.argsort(bucket, kind="stable")
    in_bucket = np.bincount(bucket, minlength=(int(t.capability.max(initial=-1)) + 1) * reach.num_sources)
    bucket_start = np.cumsum(in_bucket) - in_bucket
    # Each slot takes the places within its need's place's limit...
    row = t.need_row[t.slot_need[slots]]
    entries = reach.indptr[row + 1] - reach.indptr[row]
    entry = ragged(reach.indptr[row], entries)
    entry_slot = np.repeat(slots, entries)
    # ...and at each, the resources of its capability.
    at = t.slot_capability[entry_slot] * reach.num_sources + reach.sources[entry]
    count = in_bucket[at]
    resource = by_bucket[ragged(bucket_start[at], count)]
    travel = np.repeat(reach.seconds[entry], count).astype(np.int64, copy=False)
    return np.repeat(entry_slot, count), resource, travel


def passes(prepared: Prepared, slot: IntArray, resource: IntArray) -> BoolArray:
    """Per (slot, resource) pair of the slot's capability, every test but range and free units: the
    resource serves now, holds the certifications, is allowed by the profile's rules, by its rest and by
    people, and is shared with the slot's need's community."""
    t = prepared.tables
    need = t.slot_need[slot]
    ok = t.serves[resource] & _certified(t.certifications[resource], t.slot_requires[slot])
    ok &= t.rest_waived[t.rest_rule[resource], t.priority[need]]
    used_rules = np.flatnonzero(t.need_rules[np.unique(need)].any(axis=0)).tolist()
    ok &= _excluded_by(prepared, used_rules, need, resource) < 0
    ok &= ~_ruled_out(t, need, resource)
    ok &= _shared(t, need, resource)
    return ok


def _with_arcs(prepared: Prepared) -> Prepared:
    t = prepared.tables
    # Every slot takes the resources its need's location is reachable from; then the tests, cheapest first.
    slot, resource, travel = reached_pairs(t, t.reach, np.arange(len(t.slot_need), dtype=np.int64))
    need = t.slot_need[slot]
    keep = np.flatnonzero((travel <= t.need_limit[need]) & (prepared.free[resource] > 0))
    slot, resource, travel, need = slot[keep], resource[keep], travel[keep], need[keep]
    ok = passes(prepared, slot, resource)
    slot, resource, travel, need = slot[ok], resource[ok], travel[ok], need[ok]
    order = np.lexsort((resource, slot))
    slot, resource, travel, need = slot[order], resource[order], travel[order], need[order]
    return replace(
        prepared,
        arc_slot=slot,
        arc_resource=resource,
        arc_travel=travel,
        arc_cost=_priced(t, prepared.problem, need, resource, travel)[0],
    )
