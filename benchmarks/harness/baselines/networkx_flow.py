"""networkx ``min_cost_flow`` (network simplex in pure Python) on the matcher's network: the reference."""

from collections.abc import Callable

import networkx as nx
import numpy as np

from benchmarks.harness.baselines.base import Case, Outcome
from benchmarks.harness.baselines.ortools_flow import flow_network, units_of


class NetworkxFlow:
    name = "networkx_min_cost_flow"
    times = "building the DiGraph and networkx.min_cost_flow on it"

    def solve(self, case: Case, clock: Callable[[], float]) -> Outcome:
        net = flow_network(case.prepared)
        if net.has_previous:
            raise ValueError("networkx baseline: runs on first plans, without a previous plan to keep")
        start = clock()
        graph = nx.DiGraph()
        supply = int(net.resource_free.sum())
        graph.add_node(0, demand=-supply)
        graph.add_node(1, demand=supply)
        graph.add_edge(0, 1, capacity=supply, weight=0)
        for r, free in enumerate(net.resource_free.tolist()):
            graph.add_edge(0, 2 + r, capacity=free, weight=0)
        first_need = 2 + net.num_resources
        scale = net.served_scale
        for k, (open_units, priority) in enumerate(
            zip(net.need_open.tolist(), net.need_priority.tolist(), strict=True)
        ):
            # Tier 1 and the waiting cost a served unit saves, as in the matcher's own network.
            weight = -priority * scale - int(net.need_reward[k])
            graph.add_edge(first_need + k, 1, capacity=open_units, weight=weight)
        pairs = zip(
            net.resource_nodes.tolist(),
            net.need_nodes.tolist(),
            net.arc_capacity.tolist(),
            net.arc_cost.tolist(),
            strict=True,
        )
        for tail, head, capacity, cost in pairs:
            graph.add_edge(tail, head, capacity=capacity, weight=cost)
        flow = nx.min_cost_flow(graph)
        seconds = clock() - start
        units = np.array(
            [flow[t][h] for t, h in zip(net.resource_nodes.tolist(), net.need_nodes.tolist(), strict=True)],
            dtype=np.int64,
        )
        return Outcome(units_of(case.prepared, units), seconds, True)
