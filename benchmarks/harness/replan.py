"""Timing one re-plan as the live service runs it, and the same re-plan phase by phase.

The service keeps one travel cache and one plan memo per incident and hands the matcher a fresh problem on
every change. The latency is ``OptimalMatcher.solve`` with them; building the problem is timed apart. The
breakdown comes from running the matcher's steps one by one on copies of the cache and memo as they stood
before the re-plan, so both see the same rows and parts; the two plans must agree, which checks that the
steps are the matcher's.
"""

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from benchmarks.harness.incident import Incident
from engine.matching import MatchingProblem, OptimalMatcher, SolveParams
from engine.matching.flow import FlowNetwork, solve_flow
from engine.matching.prepare import prepare
from engine.matching.readback import build_plan
from engine.model import Plan, SolverStats
from engine.travel import TravelCache

PHASES = ("travel", "rules", "screening", "model_build", "solve", "read_back")


@dataclass(frozen=True)
class Replan:
    latency_ms: float
    problem_build_ms: float
    # Milliseconds per phase of PHASES ("rules" is the per-entity facts, "screening" the candidate arcs).
    phases_ms: dict[str, float]
    bare_solve_ms: float
    plan: Plan
    problem: MatchingProblem


def replan(incident: Incident, cache: TravelCache) -> Replan:
    start = time.perf_counter()
    problem = incident.problem()
    problem_build_ms = (time.perf_counter() - start) * 1000
    before = cache.copy(), incident.memo.copy()
    params = incident.params(cache, incident.memo)
    start = time.perf_counter()
    plan = OptimalMatcher().solve(problem, params)
    latency_ms = (time.perf_counter() - start) * 1000
    phases, phased = _phases(problem, incident.params(*before, stopwatch=time.perf_counter))
    if phased.decision_json() != plan.decision_json():
        raise RuntimeError(
            "the phase-by-phase re-plan differs from the matcher's: the breakdown would mislead"
        )
    incident.previous = plan
    return Replan(latency_ms, problem_build_ms, phases, phases["solve"], plan, problem)


def _phases(problem: MatchingProblem, params: SolveParams) -> tuple[dict[str, float], Plan]:
    prepared = prepare(problem, params)
    laps = dict(prepared.timings_ms)
    start = time.perf_counter()
    arcs = np.arange(len(prepared.arc_slot), dtype=np.int64)
    network = None if params.prunes(len(arcs)) else FlowNetwork.build(prepared, arcs)
    if network is None:
        # City scale: the matcher's pruned solve with its certificate, timed whole as the solve (choosing
        # the arcs and building the smaller network included).
        built = time.perf_counter()
        flow = solve_flow(prepared, arcs, params).flow
        solved = time.perf_counter()
    elif network.fits_one_solve:
        smcf, plain, kept = network.single_model(network.served_scale)
        built = time.perf_counter()
        status = smcf.solve()
        solved = time.perf_counter()
        if status != smcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow ended with status {status}")
        flow = np.asarray(smcf.flows(plain), dtype=np.int64) + np.asarray(smcf.flows(kept), dtype=np.int64)
    else:
        # Costs too large for one 64-bit solve: the matcher's two solves, model building included.
        built = time.perf_counter()
        flow = network.solve_two_phase()
        solved = time.perf_counter()
    units: dict[tuple[int, int], int] = defaultdict(int, prepared.pinned)
    for slot, resource, quantity in zip(
        prepared.arc_slot.tolist(), prepared.arc_resource.tolist(), flow.tolist(), strict=True
    ):
        if quantity:
            units[(slot, resource)] += quantity
    stats = SolverStats(name="phased", methods=("min_cost_flow",), optimal=True, timings_ms={}, counts={})
    plan = build_plan(prepared, units, params, stats)
    read = time.perf_counter()
    return {
        "travel": laps["travel"],
        "rules": laps["rules"],
        "screening": laps["screening"],
        "model_build": (built - start) * 1000,
        "solve": (solved - built) * 1000,
        "read_back": (read - solved) * 1000,
    }, plan
