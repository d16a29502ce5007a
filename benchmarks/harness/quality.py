"""Decision quality of any solver's units, read the same way for all: the matcher's objective, plus lateness."""

from collections.abc import Mapping
from dataclasses import dataclass

from engine.matching.objective import objective
from engine.matching.prepare import Prepared
from engine.model import Plan
from engine.rules.profile import DispatchSettings, Profile

Units = dict[tuple[int, int], int]

# The response targets of the benchmark's problems (5: life-safety, 10 minutes): the matcher plans against
# them and a unit that arrives after its need's is late.
RESPONSE_TARGET_S: Mapping[int, int] = {5: 600, 4: 900, 3: 1200, 2: 1800, 1: 2700}
BENCH_PROFILE = Profile(
    name="bench",
    title_zh="基准测试",
    title_en="Benchmark",
    # No people in the loop here: a unit sets off the moment it is planned.
    dispatch=DispatchSettings(response_target_s=dict(RESPONSE_TARGET_S), setoff_s=0),
)


@dataclass(frozen=True)
class Quality:
    served_by_priority: tuple[int, int, int, int, int]  # priority 5 first
    cost: int
    weighted_travel: int
    late_units: int
    # Units not on site in time: late, or not sent at all (a unit never sent is later than any late one).
    not_in_time: int

    @property
    def served(self) -> int:
        return sum(self.served_by_priority)

    def key(self) -> tuple[tuple[int, ...], int]:
        """Larger is better, in the matcher's strict order: units served class by class, then less tier-2 cost."""
        return self.served_by_priority, -self.cost

    def as_dict(self) -> dict[str, object]:
        return {
            "served_by_priority": list(self.served_by_priority),
            "served": self.served,
            "cost": self.cost,
            "weighted_travel": self.weighted_travel,
            "late_units": self.late_units,
            "not_in_time": self.not_in_time,
        }


def quality(prepared: Prepared, units: Units) -> Quality:
    value = objective(prepared, units)
    late = sum(
        quantity for (s, r), quantity in units.items() if quantity > 0 and prepared.unit_late(s, r) > 0
    )
    unserved = sum(n.quantity for n in prepared.problem.needs) - sum(value.served_by_priority)
    return Quality(value.served_by_priority, value.cost, value.weighted_travel, late, late + unserved)


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
        "not_in_time": greedy.not_in_time - ours.not_in_time,
    }
