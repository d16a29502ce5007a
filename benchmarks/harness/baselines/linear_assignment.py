"""scipy ``linear_sum_assignment`` where the instance is one-to-one: every need and every resource one unit."""

from collections.abc import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from benchmarks.harness.baselines.base import Case, Outcome
from benchmarks.harness.baselines.ortools_flow import flow_network


def one_to_one(case: Case) -> bool:
    problem = case.problem
    return all(n.quantity == 1 and not n.team for n in problem.needs) and all(
        r.quantity == 1 for r in problem.resources
    )


class LinearAssignment:
    name = "scipy_linear_sum_assignment"
    times = "building the dense need × (resource + unserved) cost matrix and solving it"

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome:
        if not one_to_one(case):
            raise ValueError("linear_sum_assignment: the instance is not one-to-one")
        prepared = case.prepared
        # The flow network's scale S makes one more unit of a higher priority outweigh any travel.
        scale = flow_network(prepared).served_scale
        start = clock()
        slots, resources = len(prepared.slots), len(prepared.problem.resources)
        # Rows are needs; columns are resources, then one "unserved" column per need at no cost.
        cost = np.full((slots, resources + slots), np.inf)
        cost[:, resources:] = 0.0
        need = prepared.tables.slot_need[prepared.arc_slot]
        # Serving also saves the need's waiting cost (the matcher pays it back on the sink arc).
        cost[prepared.arc_slot, prepared.arc_resource] = (
            prepared.arc_cost - prepared.tables.priority[need] * scale - prepared.waiting_cost[need]
        )
        rows, columns = linear_sum_assignment(cost)
        seconds = clock() - start
        units = {
            (int(s), int(r)): 1
            for s, r in zip(rows, columns, strict=True)
            if r < resources and np.isfinite(cost[s, r])
        }
        return Outcome(units, seconds, True)
