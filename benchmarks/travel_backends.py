"""networkx vs scipy travel backends on seeded grids and the test extract.

Run ``python -m benchmarks.travel_backends``. Writes ``benchmarks/results/travel_backends.json`` and prints
Markdown tables. Query times are warm (the graph's networkx view or CSR already built); the build columns say
what the first query on a new graph version pays on top. "After closures" is the first query on a fresh
closure version: scipy rebuilds its CSR, networkx routes over a filtered view of the open graph.

The second table times single small queries on tiny graphs, where per-call overhead decides; it is what
``engine.travel.matrix.SCIPY_FROM_NODES`` is read from.
"""

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy

from engine.model.ids import NodeId
from engine.travel import NetworkxDijkstra, RoadGraph, ScipyDijkstra, TravelBackend

ROOT = Path(__file__).resolve().parent.parent
PBF = ROOT / "tests" / "data" / "test.osm.pbf"
RESULTS = ROOT / "benchmarks" / "results" / "travel_backends.json"
SOURCES = 200
LIMIT_S = 1800
EDGE_S = 60
JITTER = 0.3
CLOSED_ROADS = 5
# name, graph factory, repetitions: fewer for the big graphs so the whole run stays within a few minutes.
CASES: list[tuple[str, Callable[[], RoadGraph], int]] = [
    ("grid 10x10", lambda: RoadGraph.grid(10, 10, edge_s=EDGE_S, jitter=JITTER, seed=1), 15),
    ("grid 20x25", lambda: RoadGraph.grid(20, 25, edge_s=EDGE_S, jitter=JITTER, seed=1), 15),
    ("grid 40x50", lambda: RoadGraph.grid(40, 50, edge_s=EDGE_S, jitter=JITTER, seed=1), 11),
    ("grid 100x200", lambda: RoadGraph.grid(100, 200, edge_s=EDGE_S, jitter=JITTER, seed=1), 7),
    ("grid 250x400", lambda: RoadGraph.grid(250, 400, edge_s=EDGE_S, jitter=JITTER, seed=1), 3),
    ("test.osm.pbf", lambda: RoadGraph.from_osm(PBF.read_bytes(), fmt="pbf"), 11),
]
CROSSOVER_SIDES = (2, 3, 4, 5, 6, 8, 12)
CROSSOVER_SOURCES = (1, 5)
CROSSOVER_REPS = 300


@dataclass(frozen=True)
class Result:
    graph: str
    nodes: int
    edges: int
    sources: int
    reps: int
    graph_build_s: float
    csr_build_s: float
    nx_build_s: float
    networkx_p50_s: float
    networkx_p99_s: float
    scipy_p50_s: float
    scipy_p99_s: float
    closed_networkx_first_s: float
    closed_scipy_first_s: float
    agree: bool


@dataclass(frozen=True)
class Crossover:
    nodes: int
    sources: int
    warm_networkx_us: float
    warm_scipy_us: float
    closed_networkx_us: float
    closed_scipy_us: float


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def percentile_s(times: list[float], q: int) -> float:
    return float(np.percentile(times, q))


def run_case(name: str, make: Callable[[], RoadGraph], reps: int) -> Result:
    graph_build_s = timed(make)
    graph = make()
    picks = np.random.default_rng(7).choice(graph.num_nodes, min(SOURCES, graph.num_nodes), replace=False)
    sources = [graph.nodes[i] for i in picks]
    csr_build_s = timed(graph.csr)
    nx_build_s = timed(graph.networkx)
    networkx, scipy_ = NetworkxDijkstra(), ScipyDijkstra()
    expected = networkx.seconds_from(graph, sources, LIMIT_S)
    agree = bool(np.array_equal(expected, scipy_.seconds_from(graph, sources, LIMIT_S)))
    nx_times = [timed(lambda: networkx.seconds_from(graph, sources, LIMIT_S)) for _ in range(reps)]
    scipy_times = [timed(lambda: scipy_.seconds_from(graph, sources, LIMIT_S)) for _ in range(reps)]
    return Result(
        graph=name,
        nodes=graph.num_nodes,
        edges=graph.num_edges,
        sources=len(sources),
        reps=reps,
        graph_build_s=graph_build_s,
        csr_build_s=csr_build_s,
        nx_build_s=nx_build_s,
        networkx_p50_s=percentile_s(nx_times, 50),
        networkx_p99_s=percentile_s(nx_times, 99),
        scipy_p50_s=percentile_s(scipy_times, 50),
        scipy_p99_s=percentile_s(scipy_times, 99),
        closed_networkx_first_s=first_query_after_closures(graph, sources, networkx),
        closed_scipy_first_s=first_query_after_closures(graph, sources, scipy_),
        agree=agree,
    )


def first_query_after_closures(graph: RoadGraph, sources: list[NodeId], backend: TravelBackend) -> float:
    arcs = list(graph.networkx().edges)
    picks = np.random.default_rng(11).choice(len(arcs), CLOSED_ROADS, replace=False)
    roads = [arcs[i] for i in picks]
    return timed(lambda: backend.seconds_from(graph.with_closures(roads), sources, LIMIT_S))


def median_us(work: Callable[[], object]) -> float:
    return float(np.median([timed(work) for _ in range(CROSSOVER_REPS)])) * 1e6


def crossover_row(graph: RoadGraph, sources: list[NodeId]) -> Crossover:
    closed = [next(iter(graph.networkx().edges))]

    def warm(backend: TravelBackend) -> float:
        return median_us(lambda: backend.seconds_from(graph, sources, LIMIT_S))

    def after_closure(backend: TravelBackend) -> float:
        return median_us(lambda: backend.seconds_from(graph.with_closures(closed), sources, LIMIT_S))

    return Crossover(
        nodes=graph.num_nodes,
        sources=len(sources),
        warm_networkx_us=warm(NetworkxDijkstra()),
        warm_scipy_us=warm(ScipyDijkstra()),
        closed_networkx_us=after_closure(NetworkxDijkstra()),
        closed_scipy_us=after_closure(ScipyDijkstra()),
    )


def crossover() -> list[Crossover]:
    rows: list[Crossover] = []
    for side in CROSSOVER_SIDES:
        graph = RoadGraph.grid(side, side, edge_s=EDGE_S, jitter=JITTER, seed=1)
        graph.csr()
        graph.networkx()
        rows.extend(crossover_row(graph, list(graph.nodes[:count])) for count in CROSSOVER_SOURCES)
    return rows


def scipy_from_nodes(rows: list[Crossover]) -> int:
    """The smallest measured size from which scipy is never slower, warm or on a fresh closure version."""

    def networkx_wins(row: Crossover) -> bool:
        return row.warm_networkx_us < row.warm_scipy_us or row.closed_networkx_us < row.closed_scipy_us

    last_networkx_win = max((row.nodes for row in rows if networkx_wins(row)), default=0)
    return min((row.nodes for row in rows if row.nodes > last_networkx_win), default=last_networkx_win + 1)


def table(results: list[Result]) -> str:
    lines = [
        "| graph | nodes | edges | sources | reps | CSR build ms | nx build ms | networkx p50 / p99 ms "
        "| scipy p50 / p99 ms | after closures networkx / scipy ms | agree |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        lines.append(
            f"| {r.graph} | {r.nodes:,} | {r.edges:,} | {r.sources} | {r.reps} | {r.csr_build_s * 1e3:.1f} "
            f"| {r.nx_build_s * 1e3:.0f} | {r.networkx_p50_s * 1e3:.1f} / {r.networkx_p99_s * 1e3:.1f} "
            f"| {r.scipy_p50_s * 1e3:.1f} / {r.scipy_p99_s * 1e3:.1f} "
            f"| {r.closed_networkx_first_s * 1e3:.1f} / {r.closed_scipy_first_s * 1e3:.1f} "
            f"| {'yes' if r.agree else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def crossover_table(rows: list[Crossover]) -> str:
    lines = [
        "| nodes | sources | warm networkx / scipy µs | fresh closure version networkx / scipy µs |",
        "|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.nodes} | {r.sources} | {r.warm_networkx_us:.0f} / {r.warm_scipy_us:.0f} "
            f"| {r.closed_networkx_us:.0f} / {r.closed_scipy_us:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    results: list[Result] = []
    for name, make, reps in CASES:
        results.append(run_case(name, make, reps))
        sys.stderr.write(f"{name}: done\n")
    small = crossover()
    threshold = scipy_from_nodes(small)
    report = {
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "networkx": nx.__version__,
        },
        "settings": {
            "sources": SOURCES,
            "limit_s": LIMIT_S,
            "edge_s": EDGE_S,
            "jitter": JITTER,
            "closed_roads": CLOSED_ROADS,
        },
        "results": [asdict(r) for r in results],
        "crossover": [asdict(r) for r in small],
        "scipy_from_nodes": threshold,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    sys.stdout.write(table(results) + "\n" + crossover_table(small))
    sys.stdout.write(f"\nscipy is never slower from {threshold} nodes on\n")


if __name__ == "__main__":
    main()
