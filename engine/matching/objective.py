"""The plan's value in the matcher's strict order, computed the same way for every solver."""

from collections.abc import Mapping

from engine.matching.prepare import Prepared
from engine.model.plan import Objective
from engine.model.priority import DESCENDING, rank


def served_units(prepared: Prepared, need: int, units: Mapping[tuple[int, int], int]) -> int:
    """Whole units of a need that its assignments make up (a team counts once all its parts are there)."""
    by_slot = dict.fromkeys(prepared.slots_of_need[need], 0)
    for (slot, _), quantity in units.items():
        if slot in by_slot:
            by_slot[slot] += quantity
    quantity = prepared.problem.needs[need].quantity
    served = min(quantity, *(by_slot[s] // prepared.slots[s].per_unit for s in by_slot))
    if prepared.problem.needs[need].all_or_nothing and served < quantity:
        return 0
    return served


def units_by_need(
    prepared: Prepared, units: Mapping[tuple[int, int], int]
) -> dict[int, dict[tuple[int, int], int]]:
    """Units per (slot, resource), grouped by the need each slot belongs to."""
    per_need: dict[int, dict[tuple[int, int], int]] = {}
    for key, quantity in units.items():
        per_need.setdefault(prepared.slots[key[0]].need, {})[key] = quantity
    return per_need


def objective(prepared: Prepared, units: Mapping[tuple[int, int], int]) -> Objective:
    """``units`` holds the units sent per (slot, resource), pins included."""
    served = [0] * len(DESCENDING)
    served_of = [0] * len(prepared.problem.needs)
    for need, need_units in units_by_need(prepared, units).items():
        served_of[need] = served_units(prepared, need, need_units)
        served[rank(prepared.need_facts[need].priority)] += served_of[need]
    t = prepared.tables
    lateness = sum(
        quantity * prepared.unit_late(s, r) * int(t.priority[prepared.slots[s].need])
        for (s, r), quantity in units.items()
    )
    weight = t.lateness_weight
    # Units left waiting are charged as if reached one target later (or at the end of their travel limit) (waiting_cost holds it
    # already weighted).
    lateness += sum(
        (need.quantity - served_of[n]) * int(prepared.waiting_cost[n]) // weight
        for n, need in enumerate(prepared.problem.needs)
    )
    weighted = sum(quantity * prepared.unit_cost(s, r) for (s, r), quantity in units.items())
    travel = weighted - weight * sum(
        quantity * prepared.unit_late(s, r) * int(t.priority[prepared.slots[s].need])
        for (s, r), quantity in units.items()
    )
    kept = sum(min(quantity, prepared.previous.get(key, 0)) for key, quantity in units.items())
    return Objective(
        served_by_priority=(served[0], served[1], served[2], served[3], served[4]),
        cost=weight * lateness + travel - prepared.problem.dispatch.switch_cost_s * kept,
        weighted_lateness=lateness,
        weighted_travel=travel,
        kept=kept,
    )
