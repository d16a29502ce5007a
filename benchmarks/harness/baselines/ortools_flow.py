"""OR-Tools min-cost flow alone: the matcher's own flow network, built beforehand, solve timed."""

from collections.abc import Callable

import numpy as np

from benchmarks.harness.baselines.base import Case, Outcome
from benchmarks.harness.quality import Units
from engine.matching.flow import FlowNetwork
from engine.matching.prepare import Prepared


def flow_network(prepared: Prepared) -> FlowNetwork:
    """The one-solve network of every candidate arc; baselines run on instances without teams."""
    if any(n.combinatorial for n in prepared.problem.needs):
        raise ValueError(
            "baselines: the instance has team or all-or-nothing needs; min-cost flow cannot hold them"
        )
    network = FlowNetwork.build(prepared, np.arange(len(prepared.arc_slot), dtype=np.int64))
    if not network.fits_one_solve:
        raise ValueError("baselines: the costs do not fit one 64-bit solve")
    return network


def units_of(prepared: Prepared, flow: np.ndarray) -> Units:
    units: Units = dict(prepared.pinned)
    for slot, resource, quantity in zip(
        prepared.arc_slot.tolist(), prepared.arc_resource.tolist(), flow.tolist(), strict=True
    ):
        if quantity:
            units[(slot, resource)] = units.get((slot, resource), 0) + quantity
    return units


class OrToolsFlow:
    name = "ortools_min_cost_flow"
    times = "SimpleMinCostFlow.solve() only, on the matcher's network (built beforehand)"

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome:
        network = flow_network(case.prepared)
        smcf, plain, kept = network.single_model(network.served_scale)
        start = clock()
        status = smcf.solve()
        seconds = clock() - start
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"OR-Tools min-cost flow ended with status {status}")
        flow = np.asarray(smcf.flows(plain), dtype=np.int64) + np.asarray(smcf.flows(kept), dtype=np.int64)
        return Outcome(units_of(case.prepared, flow), seconds, True)
