"""Everything the solvers share: per-entity facts, travel times and the candidate arcs between them.

Rules are evaluated once per entity (``CompiledProfile`` memoises them); pairs are then screened with numpy
over whole capability groups, so no condition is evaluated per need × resource pair.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from engine.matching.params import SolveParams
from engine.matching.problem import MatchingProblem
from engine.model.entities import Need
from engine.model.ids import Capability, NodeId
from engine.rules.facts import NeedFacts, ResourceFacts
from engine.travel import UNREACHABLE, travel_matrix

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Slot:
    """What one need asks for of one capability: its primary capability, or one part of its team."""

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
    # For each resource, the index of the first profile rule that excluded it (-1: none did).
    excluded_by: IntArray
    travel: IntArray
    in_range: BoolArray


@dataclass(frozen=True)
class Tables:
    """Per-entity arrays; a pair's facts are read from them by index."""

    travel: IntArray  # [resource location, need location]
    need_row: IntArray
    resource_col: IntArray
    rule_match: BoolArray  # [resource, eligibility rule]
    resource_community: IntArray  # -1: none
    need_community: IntArray  # -2: none, so that it never equals a resource's
    rotation_s: IntArray
    priority: IntArray
    groups: dict[Capability, IntArray]


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

    def travel_s(self, slot: int, resource: int) -> int | None:
        if (slot, resource) in self.pinned_travel:
            return self.pinned_travel[(slot, resource)]
        t = self.tables
        seconds = int(t.travel[t.resource_col[resource], t.need_row[self.slots[slot].need]])
        return None if seconds == UNREACHABLE else seconds

    def unit_cost(self, slot: int, resource: int) -> int:
        """(travel + preference seconds) × priority for one unit; unreachable pinned pairs count no travel."""
        need = self.slots[slot].need
        return int(
            _costs(
                self.tables,
                self.problem,
                np.array([need]),
                np.array([resource]),
                np.array([self.travel_s(slot, resource) or 0]),
            )[0]
        )

    def screen(self, slot: int) -> Screen:
        s = self.slots[slot]
        group = self.tables.groups.get(s.capability, np.zeros(0, np.int64))
        return _screen(self, s, group)


def prepare(problem: MatchingProblem, params: SolveParams) -> Prepared:
    rules = problem.rules
    need_facts = tuple(rules.need_facts(n, problem.community) for n in problem.needs)
    resource_facts = tuple(
        rules.resource_facts(r, problem.organisations[r.organisation]) for r in problem.resources
    )
    slots, slots_of_need = _slots(problem.needs)
    travel_limit_s = min(
        max((f.limit_s or params.max_travel_s for f in need_facts), default=0), params.max_travel_s
    )
    tables = _tables(problem, need_facts, resource_facts, travel_limit_s, params)

    slot_index = {(s.need, s.part): i for i, s in enumerate(slots)}
    pinned: dict[tuple[int, int], int] = defaultdict(int)
    free = np.array([r.quantity for r in problem.resources], dtype=np.int64)
    pinned_per_slot = np.zeros(len(slots), dtype=np.int64)
    for pin in problem.pinned:
        key = (slot_index[(problem.need_index[pin.need], pin.part)], problem.resource_index[pin.resource])
        pinned[key] += pin.quantity
        free[key[1]] -= pin.quantity
        pinned_per_slot[key[0]] += pin.quantity
    pinned_travel = _pinned_travel(problem, slots, pinned, params)
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
    return _with_arcs(prepared)


def _pinned_travel(
    problem: MatchingProblem, slots: tuple[Slot, ...], pinned: dict[tuple[int, int], int], params: SolveParams
) -> dict[tuple[int, int], int | None]:
    if not pinned:
        return {}
    sources = sorted({problem.resources[r].location for _, r in pinned})
    targets = sorted({problem.needs[slots[s].need].location for s, _ in pinned})
    seconds = travel_matrix(problem.graph, sources, targets, params.max_travel_s, params.travel_backend)
    result: dict[tuple[int, int], int | None] = {}
    for s, r in pinned:
        value = int(
            seconds[
                sources.index(problem.resources[r].location),
                targets.index(problem.needs[slots[s].need].location),
            ]
        )
        result[(s, r)] = None if value == UNREACHABLE else value
    return result


def _slots(needs: Sequence[Need]) -> tuple[tuple[Slot, ...], tuple[tuple[int, ...], ...]]:
    slots: list[Slot] = []
    of_need: list[tuple[int, ...]] = []
    for i, need in enumerate(needs):
        first = len(slots)
        slots.append(Slot(i, None, need.capability, 1, frozenset(need.requires)))
        slots.extend(
            Slot(i, p.capability, p.capability, p.per_unit, frozenset(p.requires)) for p in need.team
        )
        of_need.append(tuple(range(first, len(slots))))
    return tuple(slots), tuple(of_need)


def _tables(
    problem: MatchingProblem,
    need_facts: tuple[NeedFacts, ...],
    resource_facts: tuple[ResourceFacts, ...],
    travel_limit_s: int,
    params: SolveParams,
) -> Tables:
    need_locations = sorted({n.location for n in problem.needs})
    resource_locations = sorted({r.location for r in problem.resources})
    if need_locations and resource_locations:
        travel = travel_matrix(
            problem.graph, resource_locations, need_locations, travel_limit_s, params.travel_backend
        )
    else:
        travel = np.zeros((len(resource_locations), len(need_locations)), np.int64)
    known = sorted(
        {c for c in (*(f.community for f in need_facts), *(f.community for f in resource_facts)) if c}
    )
    code = {c: i for i, c in enumerate(known)}
    rule_match = np.zeros((len(problem.resources), len(problem.rules.eligibility)), dtype=np.bool_)
    for i, f in enumerate(resource_facts):
        rule_match[i, sorted(f.eligibility)] = True
    groups: dict[Capability, list[int]] = defaultdict(list)
    for i, resource in enumerate(problem.resources):
        groups[resource.capability].append(i)
    return Tables(
        travel=travel,
        need_row=_positions([n.location for n in problem.needs], need_locations),
        resource_col=_positions([r.location for r in problem.resources], resource_locations),
        rule_match=rule_match,
        resource_community=np.array(
            [code.get(f.community, -1) if f.community else -1 for f in resource_facts], dtype=np.int64
        ),
        need_community=np.array(
            [code.get(f.community, -2) if f.community else -2 for f in need_facts], dtype=np.int64
        ),
        rotation_s=np.array([f.rotation_s for f in resource_facts], dtype=np.int64),
        priority=np.array([f.priority for f in need_facts], dtype=np.int64),
        groups={c: np.array(ix, dtype=np.int64) for c, ix in groups.items()},
    )


def _positions(values: list[NodeId], ordered: list[NodeId]) -> IntArray:
    where = {v: i for i, v in enumerate(ordered)}
    return np.array([where[v] for v in values], dtype=np.int64)


def _costs(
    tables: Tables, problem: MatchingProblem, need: IntArray, resource: IntArray, travel: IntArray
) -> IntArray:
    # Preferences count as extra seconds of travel, so they can never outrank serving a need.
    foreign = tables.resource_community[resource] != tables.need_community[need]
    preference = (
        problem.rules.own_community_penalty_s * foreign.astype(np.int64) + tables.rotation_s[resource]
    )
    result: IntArray = (travel + preference) * tables.priority[need]
    return result


def _screen(prepared: Prepared, slot: Slot, group: IntArray) -> Screen:
    problem, t = prepared.problem, prepared.tables
    rules = problem.rules
    facts = prepared.need_facts[slot.need]
    certified = np.array([slot.requires <= set(problem.resources[i].certifications) for i in group], np.bool_)
    serving = np.array([prepared.resource_facts[i].serves for i in group], dtype=np.bool_)
    excluded_by = np.full(len(group), -1, dtype=np.int64)
    same = t.resource_community[group] == t.need_community[slot.need]
    # Rules apply in the order the profile lists them; the first that excludes a resource is the one named.
    for r in sorted(facts.eligibility):
        rule = rules.eligibility[r]
        matches = t.rule_match[group, r]
        if rule.relation == "same_community":
            matches = matches & same
        elif rule.relation == "other_community":
            matches = matches & ~same
        forbidden = matches if rule.effect == "deny" else ~matches
        excluded_by[(excluded_by < 0) & forbidden] = r
    allowed = excluded_by < 0
    need_id = problem.needs[slot.need].id
    for k, i in enumerate(group):
        resting = prepared.resource_facts[i].resting_by
        if resting is not None and not rules.rest_waived(resting, facts.priority):
            allowed[k] = False
        if problem.excluded and (need_id, problem.resources[i].id) in problem.excluded:
            allowed[k] = False
    travel = t.travel[t.resource_col[group], t.need_row[slot.need]]
    limit = min(facts.limit_s or prepared.travel_limit_s, prepared.travel_limit_s)
    return Screen(group, certified, serving, allowed, excluded_by, travel, travel <= limit)


def _with_arcs(prepared: Prepared) -> Prepared:
    slot_parts: list[IntArray] = []
    resource_parts: list[IntArray] = []
    for s in range(len(prepared.slots)):
        screen = prepared.screen(s)
        ok = screen.certified & screen.serving & screen.allowed & screen.in_range
        chosen = screen.resources[ok & (prepared.free[screen.resources] > 0)]
        slot_parts.append(np.full(len(chosen), s, dtype=np.int64))
        resource_parts.append(chosen)
    empty = np.zeros(0, np.int64)
    arc_slot = np.concatenate(slot_parts) if slot_parts else empty
    arc_resource = np.concatenate(resource_parts) if resource_parts else empty
    t = prepared.tables
    need_of = np.array([s.need for s in prepared.slots], dtype=np.int64)[arc_slot] if len(arc_slot) else empty
    arc_travel = t.travel[t.resource_col[arc_resource], t.need_row[need_of]]
    arc_cost = _costs(t, prepared.problem, need_of, arc_resource, arc_travel)
    return replace(
        prepared, arc_slot=arc_slot, arc_resource=arc_resource, arc_travel=arc_travel, arc_cost=arc_cost
    )
