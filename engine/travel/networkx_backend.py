"""Bounded Dijkstra with networkx: no matrix to build, so it is the quick one on small graphs."""

from collections.abc import Sequence

import numpy as np

from engine.model.ids import NodeId
from engine.travel.backend import UNREACHABLE, source_indices
from engine.travel.graph import SECONDS, RoadGraph
from engine.travel.network import IntArray


class NetworkxDijkstra:
    """One ``single_source_dijkstra_path_length`` per source, stopped at ``limit_s``."""

    name: str = "networkx"

    def seconds_from(self, graph: RoadGraph, sources: Sequence[NodeId], limit_s: int) -> IntArray:
        # Imported when first used, as in RoadGraph.networkx: a process that never routes with it never pays it.
        import networkx as nx

        source_indices(graph, sources, limit_s)
        routing = graph.networkx()
        seconds = np.full((len(sources), graph.num_nodes), UNREACHABLE, dtype=np.int64)
        for row, source in enumerate(sources):
            reached = nx.single_source_dijkstra_path_length(routing, source, cutoff=limit_s, weight=SECONDS)
            columns = np.fromiter(map(graph.index_of, reached), dtype=np.int64, count=len(reached))
            seconds[row, columns] = np.fromiter(reached.values(), dtype=np.int64, count=len(reached))
        return seconds
