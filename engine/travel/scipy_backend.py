"""Bounded Dijkstra with scipy's compiled csgraph over the graph's cached CSR matrix."""

from collections.abc import Sequence

import numpy as np
from scipy.sparse.csgraph import dijkstra

from engine.model.ids import NodeId
from engine.travel.backend import UNREACHABLE, source_indices
from engine.travel.graph import RoadGraph
from engine.travel.network import IntArray


class ScipyDijkstra:
    """``csgraph.dijkstra`` with ``limit``, a chunk of sources at a time.

    csgraph returns a float64 row of every node per source; chunking keeps that scratch space near
    ``chunk_cells`` * 8 bytes however large the graph, on top of the int64 answer itself. About a million
    cells was fastest on a 250,000-node grid: bigger chunks spend their time faulting in fresh scratch pages.
    """

    name: str = "scipy"

    def __init__(self, chunk_cells: int = 1_000_000) -> None:
        if chunk_cells < 1:
            raise ValueError(f"chunk_cells {chunk_cells!r}: must be >= 1")
        self.chunk_cells = chunk_cells

    def seconds_from(self, graph: RoadGraph, sources: Sequence[NodeId], limit_s: int) -> IntArray:
        starts = source_indices(graph, sources, limit_s)
        seconds = np.full((len(starts), graph.num_nodes), UNREACHABLE, dtype=np.int64)
        if len(starts) == 0:
            return seconds
        csr = graph.csr()
        rows = max(1, self.chunk_cells // graph.num_nodes)
        for first in range(0, len(starts), rows):
            scratch = dijkstra(csr, directed=True, indices=starts[first : first + rows], limit=float(limit_s))
            # Sums of integer seconds are exact in float64 (far below 2**53), so the cast loses nothing.
            np.copyto(seconds[first : first + rows], scratch, casting="unsafe", where=np.isfinite(scratch))
        return seconds
