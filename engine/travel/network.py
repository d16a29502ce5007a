"""The open road network as compact arrays: sorted node ids and their outgoing arcs in CSR order."""

from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np
import numpy.typing as npt

from engine.model.ids import NodeId

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Network:
    """Nodes ``0..n-1`` in id order; the arcs leaving node ``i`` are ``heads[indptr[i]:indptr[i+1]]``.

    An undirected network stores each road as two arcs, so routing never needs to know the difference.
    Arcs of one node are sorted by head, which lets ``arc_position`` binary-search them.
    """

    nodes: tuple[NodeId, ...]
    index: dict[NodeId, int]
    directed: bool
    indptr: IntArray
    heads: IntArray
    seconds: IntArray
    latlon: FloatArray | None

    @property
    def tails(self) -> IntArray:
        return np.repeat(np.arange(len(self.nodes), dtype=np.int64), np.diff(self.indptr))

    def arc_position(self, tail: int, head: int) -> int | None:
        lo, hi = int(self.indptr[tail]), int(self.indptr[tail + 1])
        at = lo + int(np.searchsorted(self.heads[lo:hi], head))
        return at if at < hi and int(self.heads[at]) == head else None

    def reversed(self) -> "Network":
        order = np.lexsort((self.tails, self.heads))
        return _compact(
            self.nodes,
            self.heads[order],
            self.tails[order],
            self.seconds[order],
            directed=self.directed,
            latlon=self.latlon,
        )

    def fingerprint(self) -> str:
        digest = blake2b(digest_size=16)
        digest.update(b"directed" if self.directed else b"undirected")
        for node in self.nodes:
            encoded = node.encode()
            # Length-prefixed so that no choice of ids can make two different node lists hash alike.
            digest.update(len(encoded).to_bytes(4, "little") + encoded)
        for array in (self.indptr, self.heads, self.seconds, self.latlon):
            if array is not None:
                digest.update(array.tobytes())
        return digest.hexdigest()


def build_network(
    names: Sequence[str],
    tails: IntArray,
    heads: IntArray,
    seconds: IntArray,
    *,
    directed: bool,
    latlon: FloatArray | None = None,
) -> Network:
    """Build from distinct ``names`` in any order and arcs that index into them.

    Undirected arcs are mirrored. Of parallel arcs only the fastest is kept: routing never takes another.
    """
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names), dtype=np.int64)
    tails, heads = rank[tails], rank[heads]
    if not directed:
        tails, heads = np.concatenate([tails, heads]), np.concatenate([heads, tails])
        seconds = np.concatenate([seconds, seconds])
    by_arc_then_speed = np.lexsort((seconds, heads, tails))
    tails, heads, seconds = tails[by_arc_then_speed], heads[by_arc_then_speed], seconds[by_arc_then_speed]
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    return _compact(
        tuple(NodeId(names[i]) for i in order),
        tails[first],
        heads[first],
        seconds[first],
        directed=directed,
        latlon=None if latlon is None else latlon[order],
    )


def _compact(
    nodes: tuple[NodeId, ...],
    tails: IntArray,
    heads: IntArray,
    seconds: IntArray,
    *,
    directed: bool,
    latlon: FloatArray | None,
) -> Network:
    # Callers pass arcs already sorted by (tail, head) with no parallels.
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=len(nodes)), out=indptr[1:])
    network = Network(
        nodes=nodes,
        index={node: i for i, node in enumerate(nodes)},
        directed=directed,
        indptr=indptr,
        heads=heads.astype(np.int64),
        seconds=seconds.astype(np.int64),
        latlon=None if latlon is None else latlon.astype(np.float64),
    )
    for array in (network.indptr, network.heads, network.seconds, network.latlon):
        if array is not None:
            # Shared by every closure version of the graph, so nobody may write to them.
            array.flags.writeable = False
    return network
