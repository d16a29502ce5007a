"""An immutable road graph of whole travel seconds, with closures as cheap derived versions."""

from collections.abc import Iterable, Mapping
from functools import cached_property
from hashlib import blake2b
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy import sparse

from engine.model.ids import NodeId
from engine.travel.grid import grid_network
from engine.travel.network import FloatArray, Network, build_network
from engine.travel.osm import DEFAULT_SPEEDS_KMH, osm_network

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

# networkx and scipy.spatial are imported by the views that use them, not here: together they take a third of a
# second to import, and most processes that route never ask for either.

# The edge attribute holding travel seconds in ``RoadGraph.networkx()``.
SECONDS = "seconds"

Road = tuple[NodeId, NodeId]


class RoadGraph:
    """Roads between string node ids, each taking a positive whole number of seconds.

    Build one with ``from_edges``, ``grid`` or ``from_osm``. A graph never changes: ``with_closures`` and
    ``reopened`` return new versions that share the open network's arrays and routing views. ``closures``
    holds closed *arcs*: closing road ``a-b`` of an undirected graph closes ``(a, b)`` and ``(b, a)``. Equal
    graphs (same nodes, roads, seconds, coordinates and closures) have equal ``fingerprint``s, so callers can
    cache travel times per graph version.
    """

    def __init__(
        self,
        network: Network,
        closures: frozenset[Road] = frozenset(),
        open_graph: "RoadGraph | None" = None,
    ) -> None:
        self._network = network
        self._closures = closures
        self._open = open_graph if open_graph is not None else self

    @classmethod
    def from_edges(cls, edges: Iterable[tuple[str, str, int]], *, directed: bool = False) -> "RoadGraph":
        """Roads ``(u, v, seconds)``; of repeated roads the fastest is kept. Self-loops are refused."""
        index: dict[str, int] = {}
        tails: list[int] = []
        heads: list[int] = []
        seconds: list[int] = []
        for u, v, s in edges:
            for node in (u, v):
                if not isinstance(node, str) or not node:
                    raise ValueError(f"edge {u!r}->{v!r}: node id {node!r} must be a non-empty str")
            if u == v:
                raise ValueError(f"edge {u}->{v}: self-loop; a road must join two different nodes")
            if isinstance(s, bool) or not isinstance(s, int | np.integer) or s <= 0:
                raise ValueError(f"edge {u}->{v}: seconds {s!r} must be an int > 0")
            tails.append(index.setdefault(u, len(index)))
            heads.append(index.setdefault(v, len(index)))
            seconds.append(int(s))
        arrays = (np.array(values, dtype=np.int64) for values in (tails, heads, seconds))
        return cls(build_network(list(index), *arrays, directed=directed))

    @classmethod
    def grid(
        cls, rows: int, cols: int, *, edge_s: int = 60, jitter: float = 0.0, seed: int = 0
    ) -> "RoadGraph":
        """An undirected grid with nodes ``g{r}_{c}``; road seconds vary by up to ``jitter``, seeded."""
        return cls(grid_network(rows, cols, edge_s=edge_s, jitter=jitter, seed=seed))

    @classmethod
    def from_osm(
        cls,
        data: bytes,
        *,
        fmt: Literal["pbf", "osm"],
        speeds_kmh: Mapping[str, float] | None = None,
    ) -> "RoadGraph":
        """The vehicle roads of an OpenStreetMap extract, directed, with node ids ``str(osm_node_id)``.

        ``speeds_kmh`` maps each ``highway`` class to keep to its speed (default ``DEFAULT_SPEEDS_KMH``).
        Two-way roads get an arc each way; ``oneway=yes``/``-1``, motorways and roundabouts get one.
        """
        return cls(
            osm_network(data, fmt=fmt, speeds_kmh=DEFAULT_SPEEDS_KMH if speeds_kmh is None else speeds_kmh)
        )

    @property
    def directed(self) -> bool:
        return self._network.directed

    @property
    def nodes(self) -> tuple[NodeId, ...]:
        """Sorted; travel arrays have one column per node in this order."""
        return self._network.nodes

    @property
    def num_nodes(self) -> int:
        return len(self._network.nodes)

    @property
    def num_edges(self) -> int:
        """Usable roads: arcs if directed, two-way roads if undirected; closed ones not counted."""
        arcs = len(self._network.heads) - len(self._closures)
        return arcs if self.directed else arcs // 2

    @property
    def closures(self) -> frozenset[Road]:
        return self._closures

    def has_node(self, node: str) -> bool:
        return node in self._network.index

    def index_of(self, node: str) -> int:
        try:
            return self._network.index[NodeId(node)]
        except KeyError:
            raise ValueError(f"node {node!r}: not in the road graph") from None

    def edge_seconds(self, u: str, v: str) -> int:
        """Seconds of the usable road ``u->v``; a closed road is refused like a missing one."""
        position = self._arc_position(u, v, "road")
        if (NodeId(u), NodeId(v)) in self._closures:
            raise ValueError(f"road {u}->{v}: closed")
        return int(self._network.seconds[position])

    def with_closures(self, roads: Iterable[tuple[str, str]], *, one_way: bool = False) -> "RoadGraph":
        """This graph with ``roads`` closed as well; closing a closed road again changes nothing.

        A closed road is closed both ways (a flooded street is flooded for everyone), on directed maps too,
        unless ``one_way``: then only the direction named."""
        closed = set(self._closures)
        for u, v in roads:
            closed.update(self._arcs_of_road(u, v, "closed road", one_way=one_way))
        return self._version(frozenset(closed))

    def reopened(self, roads: Iterable[tuple[str, str]]) -> "RoadGraph":
        """This graph with ``roads`` open again; reopening an open road changes nothing."""
        closed = set(self._closures)
        for u, v in roads:
            closed.difference_update(self._arcs_of_road(u, v, "reopened road"))
        return self._version(frozenset(closed))

    def open_graph(self) -> "RoadGraph":
        """The same roads with nothing closed."""
        return self._open

    def reversed(self) -> "RoadGraph":
        """Every arc turned around, closures included: travel *to* a node is travel *from* it here."""
        return self._reversed

    def networkx(self) -> Any:
        """A frozen ``networkx.DiGraph`` of the usable arcs, travel seconds in the ``"seconds"`` attribute.

        With closures it is a view over the open graph's DiGraph, which is built once for all versions.
        """
        return self._networkx

    def csr(self) -> sparse.csr_array:
        """Read-only ``n x n`` float64 CSR of the usable arcs in ``nodes`` order, for ``csgraph``."""
        return self._csr

    def nearest_node(self, lat: float, lon: float) -> NodeId:
        """The node closest to ``(lat, lon)`` on the Earth's surface; only ``from_osm`` graphs have places."""
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"nearest_node ({lat!r}, {lon!r}): need -90 <= lat <= 90, -180 <= lon <= 180")
        _, at = self._open._kdtree.query(_unit_vectors(np.array([[lat, lon]], dtype=np.float64))[0])
        return self.nodes[int(at)]

    @property
    def has_places(self) -> bool:
        """Whether the nodes have places on the Earth: ``from_osm`` graphs do, grids and edge lists do not."""
        return self._network.latlon is not None

    def places(self) -> FloatArray:
        """Every node's ``(lat, lon)``, in ``nodes`` order; only ``from_osm`` graphs have places."""
        return self._latlon()

    def location(self, node: str) -> tuple[float, float]:
        """``(lat, lon)`` of a node of a ``from_osm`` graph."""
        latlon = self._latlon()
        lat, lon = latlon[self.index_of(node)]
        return float(lat), float(lon)

    @cached_property
    def fingerprint(self) -> str:
        """Stable across processes; equal for graphs that route identically and have the same node places."""
        if self is self._open:
            return self._network.fingerprint()
        digest = blake2b(self._open.fingerprint.encode(), digest_size=16)
        for u, v in sorted(self._closures):
            digest.update(f"\0{len(u)}:{u}{len(v)}:{v}".encode())
        return digest.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RoadGraph) and self.fingerprint == other.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        closed = f", {len(self._closures)} closed arcs" if self._closures else ""
        return f"RoadGraph({self.num_nodes} nodes, {self.num_edges} {kind} edges{closed})"

    def _version(self, closures: frozenset[Road]) -> "RoadGraph":
        if closures == self._closures:
            return self
        if not closures:
            return self._open
        return RoadGraph(self._network, closures, self._open)

    def _arc_position(self, u: str, v: str, what: str) -> int:
        index = self._network.index
        tail, head = index.get(NodeId(u)), index.get(NodeId(v))
        position = None if tail is None or head is None else self._network.arc_position(tail, head)
        if position is None:
            raise ValueError(f"{what} {u}->{v}: no such road")
        return position

    def _arcs_of_road(self, u: str, v: str, what: str, *, one_way: bool = False) -> tuple[Road, ...]:
        """The arcs of road ``u->v``: both directions, where the map has both, unless ``one_way``."""
        self._arc_position(u, v, what)
        road, back = (NodeId(u), NodeId(v)), (NodeId(v), NodeId(u))
        if one_way:
            return (road,)
        if not self.directed:
            return (road, back)
        index = self._network.index
        has_back = self._network.arc_position(index[back[0]], index[back[1]]) is not None
        return (road, back) if has_back else (road,)

    def _latlon(self) -> FloatArray:
        if self._network.latlon is None:
            raise ValueError("graph has no node coordinates: only RoadGraph.from_osm graphs have them")
        return self._network.latlon

    @cached_property
    def _reversed(self) -> "RoadGraph":
        if not self.directed:
            return self
        if self is not self._open:
            return self._open.reversed()._version(frozenset((v, u) for u, v in self._closures))
        return RoadGraph(self._network.reversed())

    @cached_property
    def _networkx(self) -> Any:
        import networkx as nx

        if self is not self._open:
            return nx.restricted_view(self._open.networkx(), (), self._closures)
        network, graph = self._network, nx.DiGraph()
        graph.add_nodes_from(network.nodes)
        graph.add_weighted_edges_from(
            zip(
                map(network.nodes.__getitem__, network.tails.tolist()),
                map(network.nodes.__getitem__, network.heads.tolist()),
                network.seconds.tolist(),
                strict=True,
            ),
            weight=SECONDS,
        )
        return nx.freeze(graph)

    @cached_property
    def _csr(self) -> sparse.csr_array:
        network = self._network
        keep = np.ones(len(network.heads), dtype=bool)
        for u, v in self._closures:
            keep[network.arc_position(network.index[u], network.index[v])] = False
        removed_before = np.zeros(self.num_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(network.tails[~keep], minlength=self.num_nodes), out=removed_before[1:])
        # int32 indices are what csgraph works in; handing them over avoids a conversion on every query.
        csr = sparse.csr_array(
            (
                network.seconds[keep].astype(np.float64),
                network.heads[keep].astype(np.int32),
                (network.indptr - removed_before).astype(np.int32),
            ),
            shape=(self.num_nodes, self.num_nodes),
        )
        for array in (csr.data, csr.indices, csr.indptr):
            array.flags.writeable = False
        return csr

    @cached_property
    def _kdtree(self) -> "cKDTree":
        from scipy.spatial import cKDTree

        # Chord length on the unit sphere grows with great-circle distance, so the Euclidean nearest is right.
        return cKDTree(_unit_vectors(self._latlon()))


def _unit_vectors(latlon: FloatArray) -> FloatArray:
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
