"""The plan's value in the matcher's strict order, computed the same way for every solver."""

from collections.abc import Mapping

import numpy as np

from engine.matching.prepare import IntArray, Prepared
from engine.model.plan import Objective
from engine.model.priority import DESCENDING, INDEXED_LENGTH


def served_per_need(prepared: Prepared, units: Mapping[tuple[int, int], int]) -> IntArray:
    """Whole units of each need that ``units`` (per (slot, resource), pins included) make up: a team counts
    once all its parts are there, an all-or-nothing need only when whole."""
    t = prepared.tables
    per_slot = np.zeros(len(t.slot_need), dtype=np.int64)
    if units:
        slots = np.fromiter((key[0] for key in units), dtype=np.int64, count=len(units))
        np.add.at(per_slot, slots, np.fromiter(units.values(), dtype=np.int64, count=len(units)))
    if len(t.need_quantity) == 0:
        return np.zeros(0, dtype=np.int64)
    # A need's slots are contiguous: the fewest whole units over its slots.
    served = np.minimum(np.minimum.reduceat(per_slot // t.slot_per_unit, t.need_first_slot), t.need_quantity)
    result: IntArray = np.where(t.all_or_nothing & (served < t.need_quantity), 0, served)
    return result


def objective(
    prepared: Prepared, units: Mapping[tuple[int, int], int], served: IntArray | None = None
) -> Objective:
    """``units`` holds the units sent per (slot, resource), pins included; ``served``, when the caller has
    it, what :func:`served_per_need` makes of them."""
    t = prepared.tables
    served_of: IntArray = served_per_need(prepared, units) if served is None else served
    by_priority = np.zeros(INDEXED_LENGTH, dtype=np.int64)
    np.add.at(by_priority, t.priority, served_of)
    classes = [int(by_priority[p]) for p in DESCENDING]
    weight = t.lateness_weight
    keys = list(units)
    slots = np.array([k[0] for k in keys], dtype=np.int64)
    resources = np.array([k[1] for k in keys], dtype=np.int64)
    quantity = np.array([units[k] for k in keys], dtype=np.int64)
    cost, late = prepared.pair_costs(slots, resources)
    sent_late = int((quantity * late * t.priority[t.slot_need[slots]]).sum())
    # Units left waiting are charged as if reached one target later, or at the end of their travel limit
    # (waiting_cost holds that already weighted).
    left = t.need_quantity - served_of
    lateness = sent_late + int((left * prepared.waiting_cost).sum()) // weight
    travel = int((quantity * cost).sum()) - weight * sent_late
    kept = sum(min(quantity, prepared.previous.get(key, 0)) for key, quantity in units.items())
    return Objective(
        served_by_priority=(classes[0], classes[1], classes[2], classes[3], classes[4]),
        cost=weight * lateness + travel - prepared.problem.dispatch.switch_cost_s * kept,
        weighted_lateness=lateness,
        weighted_travel=travel,
        kept=kept,
    )
