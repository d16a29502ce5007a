"""Plan latency for 200 needs × 1,000 resource units on a 20,000-node road graph, against the bare solve.

Run: ``python -m benchmarks.matching`` (or ``make bench``). Writes benchmarks/results/matching.json and
prints a Markdown table. Seeded: the same machine gives the same instances.
"""

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from api.profiles import find_profile
from engine.matching import ClosestAvailable, MatchingProblem, OptimalMatcher, ProblemBuilder, SolveParams
from engine.matching.cpsat import solve_cpsat
from engine.matching.flow import FlowNetwork
from engine.matching.prepare import prepare
from engine.model import CommunityId, Need, Organisation, OrganisationKind, Resource, TeamPart
from engine.rules import Profile
from engine.travel import RoadGraph

RESULTS = Path(__file__).parent / "results"
CAPABILITIES = ("rescue.boat", "medical.first_aid", "supply.water", "transport.vehicle", "care.visit")
KINDS = list(OrganisationKind)


def instance(
    graph: RoadGraph, *, needs: int, units: int, seed: int, teams: int = 0, profile: Profile | None = None
) -> MatchingProblem:
    rng = np.random.default_rng(seed)
    nodes = graph.nodes
    orgs = [
        Organisation(id=f"o{i:03d}", kind=KINDS[i % len(KINDS)], community=f"c{i % 4}") for i in range(40)
    ]
    resources, left, i = [], units, 0
    while left > 0:
        quantity = min(left, int(rng.integers(1, 8)))
        resources.append(
            Resource(
                id=f"r{i:04d}",
                organisation=orgs[int(rng.integers(len(orgs)))].id,
                capability=CAPABILITIES[int(rng.integers(len(CAPABILITIES)))],
                quantity=quantity,
                location=nodes[int(rng.integers(len(nodes)))],
                certifications=("first_aid", "water_rescue") if rng.random() < 0.5 else (),
            )
        )
        left -= quantity
        i += 1
    crew = TeamPart(capability="care.visit", per_unit=2)
    need_list = [
        Need(
            id=f"n{j:04d}",
            capability=CAPABILITIES[int(rng.integers(len(CAPABILITIES)))] if j >= teams else "rescue.boat",
            quantity=int(rng.integers(1, 6)),
            location=nodes[int(rng.integers(len(nodes)))],
            priority=int(rng.integers(1, 6)),
            max_travel_s=int(rng.choice([900, 1800, 3600])),
            tags=("elderly_alone",) if rng.random() < 0.2 else (),
            community=f"c{j % 4}",
            team=(crew,) if j < teams else (),
        )
        for j in range(needs)
    ]
    return (
        ProblemBuilder(graph)
        .use_profile(profile, CommunityId("c0"))
        .add_needs(need_list)
        .add_resources(resources)
        .add_organisations(orgs)
        .build()
    )


def percentiles(samples: list[float]) -> dict[str, float]:
    arr = np.array(samples)
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p99_ms": round(float(np.percentile(arr, 99)), 2),
    }


def time_plans(
    problem: MatchingProblem, params: SolveParams, reps: int, solver: object
) -> tuple[dict[str, object], list[float]]:
    samples, laps = [], []
    for _ in range(reps):
        start = time.perf_counter()
        plan = solver.solve(problem, params)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - start) * 1000)
        laps.append(plan.solver.timings_ms)
    breakdown = {k: round(float(np.median([lap.get(k, 0.0) for lap in laps])), 2) for k in laps[0]}
    return {
        **percentiles(samples),
        "breakdown_p50_ms": breakdown,
        "objective": plan.objective.model_dump(),
    }, samples


def bare_solve(problem: MatchingProblem, params: SolveParams, reps: int) -> dict[str, float]:
    prepared = prepare(problem, params)
    net = FlowNetwork.build(prepared, np.arange(len(prepared.arc_slot)))
    samples = []
    for _ in range(reps):
        smcf, _, _ = net.single_model(net.served_scale)
        start = time.perf_counter()
        status = smcf.solve()
        samples.append((time.perf_counter() - start) * 1000)
        assert status == smcf.OPTIMAL
    return {**percentiles(samples), "arcs": int(smcf.num_arcs()), "nodes": int(smcf.num_nodes())}


def cp_sat_workers(problem: MatchingProblem, reps: int) -> dict[str, dict[str, float]]:
    prepared = prepare(problem, SolveParams())
    needs = list(range(len(problem.needs)))
    arcs = np.arange(len(prepared.arc_slot))
    out = {}
    for workers in (1, 2):
        params = SolveParams(cp_sat_workers=workers)
        samples = []
        for _ in range(reps):
            start = time.perf_counter()
            solve_cpsat(prepared, needs, arcs, params)
            samples.append((time.perf_counter() - start) * 1000)
        out[f"workers_{workers}"] = percentiles(samples)
    return out


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    graph = RoadGraph.grid(141, 142, edge_s=60, jitter=0.3, seed=1)
    params = SolveParams(stopwatch=time.perf_counter)
    report: dict[str, object] = {
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "graph_nodes": graph.num_nodes,
        "graph_edges": graph.num_edges,
    }
    plain = instance(graph, needs=200, units=1000, seed=1)
    start = time.perf_counter()
    OptimalMatcher().solve(plain, params)
    report["first_plan_ms"] = round((time.perf_counter() - start) * 1000, 2)  # includes the CSR build
    report["optimal"], _ = time_plans(plain, params, reps, OptimalMatcher())
    report["closest_available"], _ = time_plans(plain, params, reps, ClosestAvailable())
    report["bare_min_cost_flow_solve"] = bare_solve(plain, params, reps)
    report["two_phase_flow"], _ = time_plans(
        plain, SolveParams(stopwatch=time.perf_counter, flow_strategy="two_phase"), reps, OptimalMatcher()
    )
    profiled = instance(graph, needs=200, units=1000, seed=1, profile=find_profile("strong_social_orgs"))
    report["optimal_with_profile"], _ = time_plans(profiled, params, reps, OptimalMatcher())
    teams = instance(graph, needs=200, units=1000, seed=1, teams=20)
    report["optimal_with_20_team_needs"], _ = time_plans(teams, params, max(3, reps // 5), OptimalMatcher())
    small_teams = instance(graph, needs=40, units=200, seed=2, teams=40)
    report["cp_sat_all_40_needs_teams"] = cp_sat_workers(small_teams, max(3, reps // 5))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "matching.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    rows = [
        ("optimal (min-cost flow)", report["optimal"]),
        ("optimal, two-phase flow", report["two_phase_flow"]),
        ("optimal + strong_social_orgs profile", report["optimal_with_profile"]),
        ("optimal, 20 team needs (CP-SAT part)", report["optimal_with_20_team_needs"]),
        ("closest available (baseline)", report["closest_available"]),
        ("bare OR-Tools min-cost flow solve", report["bare_min_cost_flow_solve"]),
    ]
    lines = ["| run | p50 ms | p99 ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {r['p50_ms']} | {r['p99_ms']} |" for name, r in rows]  # type: ignore[index]
    sys.stdout.write("\n".join(lines) + "\n\n" + json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
