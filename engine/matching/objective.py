"""The plan's value in the matcher's strict order, computed the same way for every solver."""

from collections.abc import Mapping

import numpy as np

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
    weight = t.lateness_weight
    keys = list(units)
    slots = np.array([k[0] for k in keys], dtype=np.int64)
    resources = np.array([k[1] for k in keys], dtype=np.int64)
    quantity = np.array([units[k] for k in keys], dtype=np.int64)
    cost, late = prepared.pair_costs(slots, resources)
    sent_late = int((quantity * late * t.priority[t.slot_need[slots]]).sum())
    # Units left waiting are charged as if reached one target later, or at the end of their travel limit
    # (waiting_cost holds that already weighted).
    left = np.array([need.quantity - served_of[n] for n, need in enumerate(prepared.problem.needs)], np.int64)
    lateness = sent_late + int((left * prepared.waiting_cost).sum()) // weight
    travel = int((quantity * cost).sum()) - weight * sent_late
    kept = sum(min(quantity, prepared.previous.get(key, 0)) for key, quantity in units.items())
    return Objective(
        served_by_priority=(served[0], served[1], served[2], served[3], served[4]),
        cost=weight * lateness + travel - prepared.problem.dispatch.switch_cost_s * kept,
        weighted_lateness=lateness,
        weighted_travel=travel,
        kept=kept,
    )
