"""One size end to end: the event stream (full and incremental re-plans), baselines, quality variants."""

import gc
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from benchmarks.harness.baselines import (
    Baseline,
    Case,
    CpSat,
    Greedy,
    LinearAssignment,
    NetworkxFlow,
    OrToolsFlow,
    Pingzhan,
)
from benchmarks.harness.incident import MEASURED, Incident, Kind, poisson_stream
from benchmarks.harness.instances import Instance, instance, road_graph
from benchmarks.harness.quality import BENCH_PROFILE, excess, quality
from benchmarks.harness.replan import PHASES, Replan, replan
from benchmarks.harness.sizes import Size
from benchmarks.harness.stats import medians, percentiles
from engine.matching import OptimalMatcher, ProblemBuilder, SolveParams
from engine.matching.prepare import prepare
from engine.travel import TravelCache

# Large enough that no size evicts a row during its run (XL holds about 30 million cells).
CACHE_CELLS = 80_000_000
Progress = Callable[[str], None]


def run_size(size: Size, *, seed: int, events: int | None, progress: Progress) -> dict[str, object]:
    started = time.perf_counter()
    graph = road_graph(size.rows, size.cols, seed)
    base = instance(graph, needs=size.needs, units=size.units, seed=seed)
    cache = TravelCache(CACHE_CELLS)
    prune = SolveParams(prune_k=size.prune_k, prune_above_arcs=size.prune_above_arcs)
    incident = Incident(base, (size.rows, size.cols), seed, prune)
    start = time.perf_counter()
    first = OptimalMatcher().solve(incident.problem(), incident.params(cache, incident.memo))
    cold_ms = (time.perf_counter() - start) * 1000
    incident.previous = first
    progress(f"{size.name}: first plan (cold cache) {cold_ms:.0f} ms")
    # As the live service does after loading (api/service.py): what lives for the whole run stays out of
    # the collector's full passes.
    gc.collect()
    gc.freeze()

    stream = _stream(size, incident, cache, events if events is not None else size.events, seed, progress)
    memory = _peak_memory(incident, cache)
    result: dict[str, object] = {
        "size": size.name,
        "needs": size.needs,
        "resource_units": size.units,
        "resources": len(base.resources),
        "road_nodes": graph.num_nodes,
        "road_edges": graph.num_edges,
        "candidate_arcs": first.solver.counts["candidate_arcs"],
        "first_plan_cold_ms": round(cold_ms, 1),
        **stream,
        "memory": memory,
        "travel_cache": {
            "rows": cache.rows,
            "cells": cache.cells,
            "searches": cache.searches,
            "hits": cache.hits,
            "kept_across_versions": cache.kept_across_versions,
            "evictions": cache.evictions,
        },
    }
    progress(f"{size.name}: stream done; baselines")
    result["baselines"] = _compare(size, base, cache, _baselines(size), size.baseline_reps)
    if size.assignment:
        unit_base = instance(graph, needs=size.needs, units=size.units, seed=seed + 100, unit=True)
        result["one_to_one"] = _compare(
            size, unit_base, cache, [Pingzhan(), Greedy(), LinearAssignment()], size.baseline_reps
        )
    if size.variants:
        progress(f"{size.name}: plentiful and scarce pools")
        result["greedy_excess"] = {
            name: _greedy_excess(
                instance(graph, needs=size.needs, units_per_need_unit=ratio, seed=seed + 200), cache
            )
            for name, ratio in (("plentiful", 5.0), ("scarce", 1.0))
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _stream(
    size: Size, incident: Incident, cache: TravelCache, count: int, seed: int, progress: Progress
) -> dict[str, object]:
    """One full re-plan of the state as it stands, then the event and its incremental re-plan, per event."""
    full: list[Replan] = []
    by_kind: dict[Kind, list[Replan]] = {kind: [] for kind in Kind}
    events = poisson_stream(np.random.default_rng(seed + 1), count)
    pruning: list[dict[str, float | bool]] = []
    for k, event in enumerate(events, start=1):
        full.append(replan(incident, cache))
        if full[-1].plan.solver.counts.get("pruned_arcs"):
            pruning.append(_against_unpruned(full[-1], cache))
        if incident.apply(event.kind):
            by_kind[event.kind].append(replan(incident, cache))
        if k % max(1, count // 5) == 0:
            progress(f"{size.name}: {k}/{count} events")
    measured = [r for kind in MEASURED for r in by_kind[kind]]
    bare = percentiles([r.bare_solve_ms for r in full])
    full_p50 = float(np.median([r.latency_ms for r in full]))
    return {
        "events": {
            "count": count,
            "arrivals": "Poisson, six kinds at equal rates; closing, coming back and reopening keep the size steady",
            "span_min": round(events[-1].at_s / 60, 1) if events else 0.0,
        },
        "full": _figures(full),
        "incremental": {
            **_figures(measured),
            "by_event": {kind.value: _figures(by_kind[kind]) for kind in Kind if by_kind[kind]},
        },
        "bare_solve": bare,
        "ratio_to_bare_solve": round(full_p50 / float(bare["p50_ms"]), 2),
        "pruning": _pruning_figures(pruning),
    }


def _against_unpruned(pruned: Replan, cache: TravelCache) -> dict[str, float | bool]:
    """The same problem solved with every candidate arc: tier 1 must be equal, tier 2 no better."""
    start = time.perf_counter()
    full = OptimalMatcher().solve(pruned.problem, SolveParams(travel_cache=cache, prune_k=None))
    ms = (time.perf_counter() - start) * 1000
    ours, best = pruned.plan.objective, full.objective
    return {
        "tier1_equal": ours.served_by_priority == best.served_by_priority,
        "tier2_gap_pct": 100.0 * (ours.cost - best.cost) / max(1, abs(best.cost)),
        "pruned_arcs": float(pruned.plan.solver.counts["pruned_arcs"]),
        "candidate_arcs": float(pruned.plan.solver.counts["candidate_arcs"]),
        "unpruned_ms": ms,
        "pruned_ms": pruned.latency_ms,
    }


def _pruning_figures(rows: list[dict[str, float | bool]]) -> dict[str, object] | None:
    if not rows:
        return None
    gaps = [float(r["tier2_gap_pct"]) for r in rows]
    return {
        "replans": len(rows),
        "tier1_equal": all(bool(r["tier1_equal"]) for r in rows),
        "tier2_gap_pct_max": round(max(gaps), 4),
        "tier2_gap_pct_mean": round(sum(gaps) / len(gaps), 4),
        "arcs_kept_share": round(
            sum(1 - float(r["pruned_arcs"]) / float(r["candidate_arcs"]) for r in rows) / len(rows), 3
        ),
        "pruned": percentiles([float(r["pruned_ms"]) for r in rows]),
        "unpruned": percentiles([float(r["unpruned_ms"]) for r in rows]),
    }


def _figures(replans: list[Replan]) -> dict[str, object]:
    if not replans:
        return {"p50_ms": None, "p99_ms": None, "samples": 0}
    return {
        **percentiles([r.latency_ms for r in replans]),
        "breakdown_p50_ms": medians([{phase: r.phases_ms[phase] for phase in PHASES} for r in replans]),
        "problem_build_p50_ms": round(float(np.median([r.problem_build_ms for r in replans])), 3),
    }


def _peak_memory(incident: Incident, cache: TravelCache) -> dict[str, object]:
    """Peak Python and numpy allocations of one full and one incremental re-plan (tracemalloc)."""
    peaks = {}
    for name, kind in (("full", None), ("incremental_new_need", Kind.NEW_NEED)):
        if kind is not None:
            incident.apply(kind)
        problem = incident.problem()
        tracemalloc.start()
        incident.previous = OptimalMatcher().solve(problem, SolveParams(travel_cache=cache))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peaks[f"replan_peak_{name}_mb"] = round(peak / 2**20, 2)
    return {
        **peaks,
        "travel_cache_mb": round(cache.cells * 8 / 2**20, 1),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _baselines(size: Size) -> list[Baseline]:
    chosen: list[Baseline] = [Pingzhan(), Greedy(), OrToolsFlow()]
    if size.cp_sat:
        chosen.append(CpSat())
    if size.networkx:
        chosen.append(NetworkxFlow())
    return chosen


def _case(base: Instance, cache: TravelCache) -> Case:
    problem = (
        ProblemBuilder(base.graph)
        .use_profile(BENCH_PROFILE)
        .add_needs(base.needs)
        .add_resources(base.resources)
        .add_organisations(base.organisations)
        .build()
    )
    params = SolveParams(travel_cache=cache)
    return Case(problem, prepare(problem, params), params)


def _compare(
    size: Size, base: Instance, cache: TravelCache, solvers: list[Baseline], reps: int
) -> dict[str, object]:
    """Each solver on the same instance (a first plan, no previous one): latency and decision quality."""
    case = _case(base, cache)
    out: dict[str, object] = {}
    for solver in solvers:
        # The slow references run fewer times: their latency is seconds, not milliseconds.
        times = reps if solver.name not in ("networkx_min_cost_flow", "cp_sat_1_worker") else min(reps, 3)
        outcomes = [solver.solve(case, time.perf_counter) for _ in range(times)]
        value = quality(case.prepared, outcomes[-1].units)
        out[solver.name] = {
            **percentiles([o.seconds * 1000 for o in outcomes]),
            "times": solver.times,
            "optimal": outcomes[-1].optimal,
            "objective": value.as_dict(),
        }
    return out


def _greedy_excess(base: Instance, cache: TravelCache) -> dict[str, object]:
    case = _case(base, cache)
    ours = quality(case.prepared, Pingzhan().solve(case, time.perf_counter).units)
    greedy = quality(case.prepared, Greedy().solve(case, time.perf_counter).units)
    return {
        "resource_units": sum(r.quantity for r in base.resources),
        "needed_units": sum(n.quantity for n in base.needs),
        "pingzhan": ours.as_dict(),
        "greedy_closest": greedy.as_dict(),
        "greedy_excess": excess(ours, greedy),
    }
