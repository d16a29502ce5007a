"""Needs min-cost flow cannot express — teams sent together, all-or-nothing — solved with CP-SAT.

The strict order of the objective is kept by solving in stages, each fixing the value the last one found:
units served at priority 5, then 4, ... 1; then the least tier-2 cost (lateness, travel and preferences,
less waiting costs saved and proposals kept; see engine/matching/objective.py); then the most units kept
from the previous plan.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.matching.params import SolveParams
from engine.matching.prepare import IntArray, Prepared
from engine.model.priority import DESCENDING

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


@dataclass(frozen=True)
class CpSatResult:
    flow: IntArray
    optimal: bool
    stages: int


class CpSatError(RuntimeError):
    """CP-SAT found no feasible plan (it always should: sending nothing is feasible)."""


def solve_cpsat(prepared: Prepared, needs: list[int], arcs: IntArray, params: SolveParams) -> CpSatResult:
    # Imported here: OR-Tools (and the pandas it loads) takes a second to import, and most plans have no team
    # or all-or-nothing need, so a process that never meets one never pays it.
    from ortools.sat.python import cp_model

    problem = prepared.problem
    model = cp_model.CpModel()

    # Variables: units on each candidate arc, and whole units (teams) served per need.
    x = [model.new_int_var(0, int(prepared.free[prepared.arc_resource[a]]), f"x{a}") for a in arcs]
    y: dict[int, cp_model.IntVar] = {}
    for n in needs:
        need = problem.needs[n]
        if need.all_or_nothing:
            y[n] = model.new_int_var_from_domain(cp_model.Domain.from_values([0, need.quantity]), f"y{n}")
        else:
            y[n] = model.new_int_var(0, need.quantity, f"y{n}")

    by_resource: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for var, a in zip(x, arcs, strict=True):
        by_resource[int(prepared.arc_resource[a])].append(var)
        by_slot[int(prepared.arc_slot[a])].append(var)

    # A resource sends no more than its free units.
    for r, vars_ in by_resource.items():
        model.add(sum(vars_) <= int(prepared.free[r]))

    # Each part of a need gets exactly what its served units call for, less what pins already send.
    for n in needs:
        for s in prepared.slots_of_need[n]:
            per_unit = prepared.slots[s].per_unit
            wanted = model.new_int_var(0, problem.needs[n].quantity * per_unit, f"w{s}")
            model.add_max_equality(wanted, [per_unit * y[n] - int(prepared.pinned_per_slot[s]), 0])
            model.add(sum(by_slot.get(s, [])) == wanted)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = params.cp_sat_workers
    solver.parameters.random_seed = 0
    stages = _stages(prepared, needs, arcs, x, y, model)
    optimal = True
    per_stage_time = params.cp_sat_deterministic_time / len(stages)
    for sense, expr in stages:
        if sense == "max":
            model.maximize(expr)
        else:
            model.minimize(expr)
        solver.parameters.max_deterministic_time = per_stage_time
        solver.parameters.max_time_in_seconds = params.cp_sat_time_limit_s / len(stages)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise CpSatError(f"CP-SAT ended with status {solver.status_name(status)}")
        optimal = optimal and status == cp_model.OPTIMAL
        value = round(solver.objective_value)
        # Fix this stage's value before the next; warm-start from this solution.
        model.add(expr >= value if sense == "max" else expr <= value)
        model.clear_hints()  # type: ignore[no-untyped-call]
        for var in [*x, *y.values()]:
            model.add_hint(var, solver.value(var))
    flow = np.array([solver.value(v) for v in x], dtype=np.int64)
    return CpSatResult(flow, optimal, len(stages))


def _stages(
    prepared: Prepared,
    needs: list[int],
    arcs: IntArray,
    x: "list[cp_model.IntVar]",
    y: "dict[int, cp_model.IntVar]",
    model: "cp_model.CpModel",
) -> "list[tuple[str, cp_model.LinearExprT]]":
    stages: list[tuple[str, cp_model.LinearExprT]] = []
    priority = prepared.tables.priority
    for p in DESCENDING:
        in_class = [y[n] for n in needs if priority[n] == p]
        if in_class:
            stages.append(("max", sum(in_class)))
    kept_terms = []
    for var, a, before in zip(x, arcs, prepared.arc_kept[arcs].tolist(), strict=True):
        # Units the previous plan had beyond what pins already send on the same pair.
        if before > 0:
            kept = model.new_int_var(0, before, f"k{a}")
            model.add(kept <= var)
            kept_terms.append(kept)
    # Tier 2: lateness and travel of the units sent, less the waiting cost of the units served, less the
    # switching cost of each proposal kept.
    switch = prepared.problem.dispatch.switch_cost_s
    stages.append(
        (
            "min",
            sum(int(prepared.arc_cost[a]) * var for var, a in zip(x, arcs, strict=True))
            - sum(int(prepared.waiting_cost[n]) * y[n] for n in needs)
            - switch * sum(kept_terms),
        )
    )
    if kept_terms:
        stages.append(("max", sum(kept_terms)))
    return stages
