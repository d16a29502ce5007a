"""The exact matcher: min-cost flow where it can, CP-SAT where teams or all-or-nothing needs call for it."""

from collections import defaultdict

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from engine.matching.cpsat import solve_cpsat
from engine.matching.flow import solve_flow
from engine.matching.params import SolveParams
from engine.matching.prepare import IntArray, Prepared, prepare
from engine.matching.problem import MatchingProblem
from engine.matching.readback import build_plan
from engine.matching.stopwatch import Stopwatch
from engine.model.plan import Plan, SolverStats


class OptimalMatcher:
    name = "optimal"

    def solve(self, problem: MatchingProblem, params: SolveParams) -> Plan:
        clock = Stopwatch(params.stopwatch)
        prepared = prepare(problem, params)
        clock.lap("prepare")
        flow_arcs, combinatorial = _split(prepared)
        units: dict[tuple[int, int], int] = defaultdict(int, prepared.pinned)
        methods = []
        flow = solve_flow(prepared, flow_arcs, params)
        _add(units, prepared, flow_arcs, flow.flow)
        if flow.solves:
            methods.append("min_cost_flow")
        clock.lap("flow")
        # A pruned solve is certified on tier 1 only: its tier 2 is the best over the arcs it kept.
        optimal = flow.pruned == 0
        for needs, arcs in combinatorial:
            result = solve_cpsat(prepared, needs, arcs, params)
            _add(units, prepared, arcs, result.flow)
            optimal = optimal and result.optimal
        if combinatorial:
            methods.append("cp_sat")
            clock.lap("cp_sat")
        stats = SolverStats(
            name=self.name,
            methods=tuple(methods),
            optimal=optimal,
            timings_ms=clock.laps,
            counts={
                "needs": len(problem.needs),
                "resources": len(problem.resources),
                "candidate_arcs": len(prepared.arc_slot),
                "flow_solves": flow.solves,
                "pruned_arcs": flow.pruned,
                "cp_sat_components": len(combinatorial),
                "rule_evaluations": problem.rules.evaluations,
            },
        )
        plan = build_plan(prepared, units, params, stats)
        clock.lap("read_back")
        return plan.model_copy(update={"solver": stats.model_copy(update={"timings_ms": clock.laps})})


def _add(units: dict[tuple[int, int], int], prepared: Prepared, arcs: IntArray, flow: IntArray) -> None:
    sent = np.flatnonzero(flow)
    for s, r, quantity in zip(
        prepared.arc_slot[arcs[sent]].tolist(),
        prepared.arc_resource[arcs[sent]].tolist(),
        flow[sent].tolist(),
        strict=True,
    ):
        units[(s, r)] += quantity


def _split(prepared: Prepared) -> tuple[IntArray, list[tuple[list[int], IntArray]]]:
    """Arcs for min-cost flow, and the connected groups of needs and arcs that need CP-SAT."""
    needs = prepared.problem.needs
    combinatorial = np.array([n.combinatorial for n in needs], dtype=np.bool_)
    need_of_arc = np.array([s.need for s in prepared.slots], dtype=np.int64)[prepared.arc_slot]
    if not combinatorial.any():
        return np.arange(len(prepared.arc_slot), dtype=np.int64), []
    # Needs and resources joined by candidate arcs; a group with a team or all-or-nothing need goes to CP-SAT.
    n_needs = len(needs)
    size = n_needs + len(prepared.problem.resources)
    graph = coo_matrix(
        (np.ones(len(need_of_arc)), (need_of_arc, n_needs + prepared.arc_resource)), shape=(size, size)
    )
    _, label = connected_components(graph, directed=False)
    hard_labels = np.unique(label[:n_needs][combinatorial])
    hard_arc = np.isin(label[need_of_arc], hard_labels)
    groups = []
    for lab in hard_labels:
        arcs = np.flatnonzero(hard_arc & (label[need_of_arc] == lab)).astype(np.int64)
        if len(arcs):  # a need with no candidate at all keeps its pins and nothing more
            groups.append(([int(n) for n in np.flatnonzero(label[:n_needs] == lab)], arcs))
    return np.flatnonzero(~hard_arc).astype(np.int64), groups
