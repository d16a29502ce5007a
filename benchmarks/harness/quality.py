"""Decision quality of any solver's units, read the same way for all: the matcher's objective, plus lateness."""

from collections.abc import Mapping
from dataclasses import dataclass

from engine.matching.objective import objective
from engine.matching.prepare import Prepared
from engine.model import Plan

Units = dict[tuple[int, int], int]

# A unit arrives late when it travels longer than this for its need's priority (5: life-safety, 10 minutes).
RESPONSE_TARGET_S: Mapping[int, int] = {5: 600, 4: 900, 3: 1200, 2: 1800, 1: 2700}


@dataclass(frozen=True)
class Quality:
    served_by_priority: tuple[int, int, int, int, int]  # priority 5 first
    weighted_travel: int
    late_units: int

    @property
    def served(self) -> int:
        return sum(self.served_by_priority)

    def key(self) -> tuple[tuple[int, ...], int]:
        """Larger is better, in the matcher's strict order: units served class by class, then less travel."""
        return self.served_by_priority, -self.weighted_travel

    def as_dict(self) -> dict[str, object]:
        return {
            "served_by_priority": list(self.served_by_priority),
            "served": self.served,
            "weighted_travel": self.weighted_travel,
            "late_units": self.late_units,
        }


def quality(prepared: Prepared, units: Units) -> Quality:
    value = objective(prepared, units)
    late = 0
    for (s, r), quantity in units.items():
        travel = prepared.travel_s(s, r)
        priority = prepared.need_facts[prepared.slots[s].need].priority
        if quantity > 0 and travel is not None and travel > RESPONSE_TARGET_S[priority]:
            late += quantity
    return Quality(value.served_by_priority, value.weighted_travel, late)


def plan_units(prepared: Prepared, plan: Plan) -> Units:
    """Units per (slot, resource) of a plan, pins included."""
    problem = prepared.problem
    slot_of = {(s.need, s.part): i for i, s in enumerate(prepared.slots)}
    units: Units = {}
    for a in plan.assignments:
        key = (slot_of[(problem.need_index[a.need], a.part)], problem.resource_index[a.resource])
        units[key] = units.get(key, 0) + a.quantity
    return units


def excess(ours: Quality, greedy: Quality) -> dict[str, object]:
    """What the greedy baseline costs over the optimum: units left unserved, extra travel, extra late units."""
    return {
        "unserved_by_priority": [
            o - g for o, g in zip(ours.served_by_priority, greedy.served_by_priority, strict=True)
        ],
        "unserved": ours.served - greedy.served,
        "weighted_travel": greedy.weighted_travel - ours.weighted_travel,
        "weighted_travel_pct": round(
            100.0 * (greedy.weighted_travel - ours.weighted_travel) / ours.weighted_travel, 2
        )
        if ours.weighted_travel
        else 0.0,
        "late_units": greedy.late_units - ours.late_units,
    }
