"""Source-by-target travel seconds, searched from whichever side has fewer distinct places."""

from collections.abc import Sequence

import numpy as np

from engine.model.ids import NodeId
from engine.travel.backend import TravelBackend, source_indices
from engine.travel.graph import RoadGraph
from engine.travel.network import IntArray
from engine.travel.networkx_backend import NetworkxDijkstra
from engine.travel.scipy_backend import ScipyDijkstra

# From benchmarks/travel_backends.py on the 2-core dev box: networkx only wins single-source queries on
# graphs under ~20 nodes, where scipy's ~20 µs per-call overhead (graph validation) dominates; from 25 nodes
# scipy is never slower, and by 2,000 nodes it is 10-20x faster for 200 sources. Closures widen the gap:
# scipy rebuilds a CSR in well under a millisecond, networkx routes over a filtered view 2-4x slower.
SCIPY_FROM_NODES = 25


def choose_backend(graph: RoadGraph) -> TravelBackend:
    """The backend that answers fastest for a graph of this size."""
    return ScipyDijkstra() if graph.num_nodes >= SCIPY_FROM_NODES else NetworkxDijkstra()


def distinct_places(
    graph: RoadGraph, sources: Sequence[NodeId], targets: Sequence[NodeId], limit_s: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The distinct source and target node indices, and where each given place sits among them: places
    repeat (many resources at one depot), searches should not."""
    unique_sources, source_row = np.unique(source_indices(graph, sources, limit_s), return_inverse=True)
    unique_targets, target_column = np.unique(source_indices(graph, targets, limit_s), return_inverse=True)
    return unique_sources, source_row, unique_targets, target_column


def travel_matrix(
    graph: RoadGraph,
    sources: Sequence[NodeId],
    targets: Sequence[NodeId],
    limit_s: int,
    backend: TravelBackend | None = None,
) -> IntArray:
    """Shape ``(len(sources), len(targets))``: seconds from source to target, else ``UNREACHABLE``."""
    unique_sources, source_row, unique_targets, target_column = distinct_places(
        graph, sources, targets, limit_s
    )
    if len(unique_sources) == 0 or len(unique_targets) == 0:
        return np.zeros((len(sources), len(targets)), dtype=np.int64)
    engine = backend if backend is not None else choose_backend(graph)
    if len(unique_targets) < len(unique_sources):
        # Seconds from u to t on the graph are seconds from t to u on the reversed graph.
        back = engine.seconds_from(graph.reversed(), [graph.nodes[t] for t in unique_targets], limit_s)
        block = back[:, unique_sources].T
    else:
        ahead = engine.seconds_from(graph, [graph.nodes[s] for s in unique_sources], limit_s)
        block = ahead[:, unique_targets]
    return np.ascontiguousarray(block[np.ix_(source_row, target_column)])
