"""The plug point for shortest-travel-time engines."""

from collections.abc import Sequence
from typing import Final, Protocol

import numpy as np

from engine.model.ids import NodeId
from engine.travel.graph import RoadGraph
from engine.travel.network import IntArray

# Stands for "farther than the limit or not reachable at all"; larger than any real travel time.
UNREACHABLE: Final = np.iinfo(np.int64).max


class TravelBackend(Protocol):
    """Bounded shortest travel seconds over a ``RoadGraph``, honouring its closures."""

    name: str

    def seconds_from(self, graph: RoadGraph, sources: Sequence[NodeId], limit_s: int) -> IntArray:
        """Shape ``(len(sources), graph.num_nodes)``, columns in ``graph.nodes`` order.

        A node farther than ``limit_s`` seconds, or not reachable, gets ``UNREACHABLE``.
        """
        ...


def check_limit(limit_s: int) -> None:
    if isinstance(limit_s, bool) or not isinstance(limit_s, int | np.integer) or limit_s < 0:
        raise ValueError(f"limit_s {limit_s!r}: must be an int >= 0")


def source_indices(graph: RoadGraph, sources: Sequence[NodeId], limit_s: int) -> IntArray:
    """Checks shared by every backend: known sources and a usable limit."""
    check_limit(limit_s)
    return np.array([graph.index_of(source) for source in sources], dtype=np.int64)
