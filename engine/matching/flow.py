"""The fast path: OR-Tools min-cost flow over needs without teams or all-or-nothing.

Network: source → resource (its free units) → need (one arc per candidate pair) → sink (the need's open
units), plus a source → sink bypass for units left idle.

The strict order of the objective is kept with small numbers. Serving a unit of priority p earns p × S;
the sets of need units that can be served together form a matroid (a gammoid), so a plan of greatest
total priority also serves the most units of priority 5, then of 4, and so on (Gale's theorem). S exceeds
what any augmenting path or cycle can change in tier-2 cost (lateness, travel, waiting costs paid back on
the sink arcs, switching costs), so no saving there can buy a lost unit. Likewise that cost is scaled by K,
more than the units of the previous plan any cycle can keep.
When S would not fit in 64 bits, two solves do the same: first the served units per priority, then the
cheapest flow serving exactly those.
"""

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.matching.params import SolveParams
from engine.matching.prepare import IntArray, Prepared
from engine.matching.pruning import cheapest, improvable
from engine.model.priority import HIGHEST, INDEXED_LENGTH, LOWEST

# OR-Tools' cost scaling multiplies costs by the number of nodes; keep well inside 63 bits.
_COST_CEILING = 2**62


@dataclass(frozen=True)
class FlowResult:
    flow: IntArray  # units on each of the given arcs
    solves: int
    # Arcs the final solve left out (pruned), certified not to change tier 1 (see pruning.py).
    pruned: int = 0


class FlowError(RuntimeError):
    """OR-Tools did not report an optimal flow."""


def solve_flow(prepared: Prepared, arcs: IntArray, params: SolveParams) -> FlowResult:
    """Optimal units on each arc in ``arcs`` (indices into the prepared candidate arcs, ascending).

    Past ``params.prune_above_arcs`` arcs, the solve runs on each slot's cheapest arcs, widened where the
    certificate of tier 1 fails, and on all of them if it still fails.
    """
    if params.prune_k is None or not params.prunes(len(arcs)):
        return _solve_arcs(prepared, arcs, params)
    solves = 0
    subset = cheapest(prepared, arcs, params.prune_k)
    for widen in (4, None):
        result = _solve_arcs(prepared, subset, params)
        solves += result.solves
        flow = np.zeros(len(arcs), dtype=np.int64)
        flow[np.searchsorted(arcs, subset)] = result.flow
        flagged = improvable(prepared, arcs, flow)
        if not flagged.any():
            return FlowResult(flow, solves, len(arcs) - len(subset))
        if widen is None:
            break
        # The needs a path could still improve get every arc back; the others more of their cheapest.
        subset = np.union1d(cheapest(prepared, arcs, params.prune_k * widen), arcs[flagged])
    full = _solve_arcs(prepared, arcs, params)
    return FlowResult(full.flow, solves + full.solves)


def _solve_arcs(prepared: Prepared, arcs: IntArray, params: SolveParams) -> FlowResult:
    if len(arcs) == 0:
        return FlowResult(np.zeros(0, np.int64), 0)
    net = FlowNetwork.build(prepared, arcs)
    strategy = params.flow_strategy
    if strategy == "single" or (strategy == "auto" and net.fits_one_solve):
        return FlowResult(net.solve_single(net.served_scale), 1)
    return FlowResult(net.solve_two_phase(), 2)


@dataclass(frozen=True)
class FlowNetwork:
    num_resources: int
    num_needs: int
    resource_nodes: IntArray  # node of each arc's resource
    need_nodes: IntArray  # node of each arc's slot
    need_priority: IntArray  # per need node (offset by first need node)
    need_open: IntArray
    resource_free: IntArray
    arc_capacity: IntArray
    kept_capacity: IntArray
    arc_cost: IntArray  # scaled by K, plus 1 per unit not kept from the previous plan
    kept_cost: IntArray  # scaled by K, less the switching cost: keeping a proposal is worth that much
    # Per need node, scaled by K: the waiting cost each unit served saves (see Prepared.waiting_cost).
    need_reward: IntArray
    has_previous: bool

    @property
    def num_nodes(self) -> int:
        return 2 + self.num_resources + self.num_needs

    @property
    def served_scale(self) -> int:
        """S: more than any augmenting path or cycle can change in tier-2 cost."""
        largest = max(
            int(np.abs(self.arc_cost).max(initial=0)),
            int(np.abs(self.kept_cost).max(initial=0)),
            int(self.need_reward.max(initial=0)),
        )
        return (self.num_nodes + 3) * largest + 1

    @property
    def fits_one_solve(self) -> bool:
        return HIGHEST * self.served_scale * (self.num_nodes + 1) < _COST_CEILING

    @staticmethod
    def build(prepared: Prepared, arcs: IntArray) -> "FlowNetwork":
        slots = prepared.arc_slot[arcs]
        resources = prepared.arc_resource[arcs]
        used_resources, resource_pos = np.unique(resources, return_inverse=True)
        used_slots, slot_pos = np.unique(slots, return_inverse=True)
        t = prepared.tables
        wanted = t.need_quantity[t.slot_need[used_slots]]
        need_open = np.maximum(wanted - prepared.pinned_per_slot[used_slots], 0)
        free = prepared.free[used_resources]
        cap = np.minimum(free[resource_pos], need_open[slot_pos])
        # Units the previous plan had beyond what pins already send on the same pair.
        kept = prepared.arc_kept[arcs]
        kept = np.minimum(kept, cap)
        has_previous = bool(kept.any())
        k = len(used_resources) + len(used_slots) + 3 if has_previous else 1
        cost = prepared.arc_cost[arcs] * k
        switch = prepared.problem.dispatch.switch_cost_s * k
        # The waiting cost is paid back once per unit served: on a need's own slot, not on its team parts.
        own = t.need_first_slot[t.slot_need[used_slots]] == used_slots
        reward = np.where(own, prepared.waiting_cost[t.slot_need[used_slots]], 0)
        return FlowNetwork(
            num_resources=len(used_resources),
            num_needs=len(used_slots),
            resource_nodes=2 + resource_pos,
            need_nodes=2 + len(used_resources) + slot_pos,
            need_priority=t.priority[t.slot_need[used_slots]],
            need_open=need_open,
            resource_free=free,
            arc_capacity=cap - kept,
            kept_capacity=kept,
            arc_cost=cost + (1 if has_previous else 0),
            kept_cost=cost - switch,
            need_reward=(reward * k).astype(np.int64),
            has_previous=has_previous,
        )

    def _pair_arcs(self, smcf: min_cost_flow.SimpleMinCostFlow) -> tuple[IntArray, IntArray]:
        plain = smcf.add_arcs_with_capacity_and_unit_cost(
            self.resource_nodes, self.need_nodes, self.arc_capacity, self.arc_cost
        )
        kept = smcf.add_arcs_with_capacity_and_unit_cost(
            self.resource_nodes, self.need_nodes, self.kept_capacity, self.kept_cost
        )
        return np.asarray(plain), np.asarray(kept)

    def _resource_arcs(self, smcf: min_cost_flow.SimpleMinCostFlow) -> None:
        nodes = 2 + np.arange(self.num_resources, dtype=np.int64)
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.zeros(self.num_resources, np.int64),
            nodes,
            self.resource_free,
            np.zeros(self.num_resources, np.int64),
        )

    def _need_nodes(self) -> IntArray:
        return 2 + self.num_resources + np.arange(self.num_needs, dtype=np.int64)

    def solve_single(self, scale_s: int) -> IntArray:
        return _solve(*self.single_model(scale_s))

    def single_model(self, scale_s: int) -> tuple[min_cost_flow.SimpleMinCostFlow, IntArray, IntArray]:
        """The one-solve network, built and not yet solved (benchmarks time the bare solve on it)."""
        smcf = min_cost_flow.SimpleMinCostFlow()
        # Variables: units on each pair arc (plain and kept), on each source and sink arc, and idle units.
        plain, kept = self._pair_arcs(smcf)
        self._resource_arcs(smcf)
        # Objective, tier 1: each unit served at priority p earns p × S (a negative cost on the sink arc);
        # tier 2: it also saves the need's waiting cost.
        smcf.add_arcs_with_capacity_and_unit_cost(
            self._need_nodes(),
            np.ones(self.num_needs, np.int64),
            self.need_open,
            -self.need_priority * scale_s - self.need_reward,
        )
        # Constraint: every free unit leaves the source; those not sent take the bypass at no cost.
        supply = int(self.resource_free.sum())
        smcf.add_arc_with_capacity_and_unit_cost(0, 1, supply, 0)
        smcf.set_node_supply(0, supply)
        smcf.set_node_supply(1, -supply)
        return smcf, plain, kept

    def solve_two_phase(self) -> IntArray:
        # Phase 1: the most units by priority, travel ignored (tiny costs, no overflow).
        first = min_cost_flow.SimpleMinCostFlow()
        first.add_arcs_with_capacity_and_unit_cost(
            self.resource_nodes,
            self.need_nodes,
            self.arc_capacity + self.kept_capacity,
            np.zeros(len(self.arc_cost), np.int64),
        )
        self._resource_arcs(first)
        sink_arcs = first.add_arcs_with_capacity_and_unit_cost(
            self._need_nodes(), np.ones(self.num_needs, np.int64), self.need_open, -self.need_priority
        )
        supply = int(self.resource_free.sum())
        first.add_arc_with_capacity_and_unit_cost(0, 1, supply, 0)
        first.set_node_supply(0, supply)
        first.set_node_supply(1, -supply)
        _check(first.solve(), first)
        served = np.asarray(first.flows(sink_arcs))
        per_class = np.bincount(self.need_priority, weights=served, minlength=INDEXED_LENGTH).astype(np.int64)

        # Phase 2: exactly those units per priority class (through one node per class), at least cost.
        second = min_cost_flow.SimpleMinCostFlow()
        plain, kept = self._pair_arcs(second)
        self._resource_arcs(second)
        class_node = 2 + self.num_resources + self.num_needs + self.need_priority
        second.add_arcs_with_capacity_and_unit_cost(
            self._need_nodes(), class_node, self.need_open, -self.need_reward
        )
        classes = np.arange(LOWEST, INDEXED_LENGTH, dtype=np.int64)
        second.add_arcs_with_capacity_and_unit_cost(
            2 + self.num_resources + self.num_needs + classes,
            np.ones(len(classes), np.int64),
            per_class[LOWEST:],
            np.zeros(len(classes), np.int64),
        )
        total = int(per_class.sum())
        second.set_node_supply(0, total)
        second.set_node_supply(1, -total)
        return _solve(second, plain, kept)


def _solve(smcf: min_cost_flow.SimpleMinCostFlow, plain: IntArray, kept: IntArray) -> IntArray:
    _check(smcf.solve(), smcf)
    flows: IntArray = np.asarray(smcf.flows(plain), dtype=np.int64) + np.asarray(
        smcf.flows(kept), dtype=np.int64
    )
    return flows


def _check(status: object, smcf: min_cost_flow.SimpleMinCostFlow) -> None:
    if status != smcf.OPTIMAL:
        raise FlowError(f"min-cost flow ended with status {status}, not OPTIMAL")
