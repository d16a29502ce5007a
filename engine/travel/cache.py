"""Travel times kept across re-plans: each bounded search runs once per graph version, place and limit.

The live service re-plans an incident many times over the same roads, so searches are kept as rows: the nodes
one place reaches within a limit, in one *frame* (the graph to search from sources, the graph reversed to
search back from targets). A table is assembled from whichever side has fewer rows missing, so once one side
is warm it stays chosen: a new need then costs one search (or none, when rows are kept from the resources'
side), a resource going offline none.

Closing or reopening roads makes a new graph version. A row is still exact on the new version when no closed
arc lies on a shortest path within its limit (``d(u) + w(u, v) == d(v)``) and no reopened arc would shorten
one (``d(u) + w(u, v) < d(v)``): such rows are kept, checked arc by arc, and only the others are searched again.

Answers never depend on what the cache holds: every row is an exact bounded search, so plans are the same
with or without one, warm or cold.
"""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np
import numpy.typing as npt

from engine.model.ids import NodeId
from engine.travel.backend import UNREACHABLE, TravelBackend, check_limit
from engine.travel.graph import Road, RoadGraph
from engine.travel.matrix import choose_backend, distinct_places
from engine.travel.network import IntArray
from engine.travel.table import TravelTable, table_from_pairs

Int32Array = npt.NDArray[np.int32]
# Dense scratch rows per backend call: the backend answers whole-graph rows, so a cold search on a large
# graph is done a few rows at a time (about 8 MB of int64).
SCRATCH_CELLS = 1_000_000
# A row much longer than the places it is projected onto is searched into; a shorter one is looked up.
LOOKUP_RATIO = 4
# Tables kept whole (a plan asks for the reach table and, with roads closed, the one over the open roads).
TABLES_KEPT = 4


@dataclass(slots=True, eq=False)
class _Row:
    """The nodes one place reaches within ``limit_s`` in one frame, ascending, with their seconds."""

    limit_s: int
    nodes: Int32Array
    seconds: IntArray
    # The last projection onto a list of places: its key, positions into the list, and seconds.
    projected: tuple[bytes, IntArray, IntArray] | None = None

    def seconds_at(self, nodes: IntArray) -> IntArray:
        if len(self.nodes) == 0:
            return np.full(len(nodes), UNREACHABLE, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.nodes, nodes), len(self.nodes) - 1)
        # int64 before UNREACHABLE meets the int32 seconds, which it would overflow.
        seconds = self.seconds[at].astype(np.int64)
        result: IntArray = np.where(self.nodes[at] == nodes, seconds, UNREACHABLE)
        return result


@dataclass(frozen=True, slots=True)
class _ChangedArc:
    tail: int
    head: int
    seconds: int
    closed: bool


class _Places:
    """Places a row is projected onto, with what every projection needs computed once per table."""

    def __init__(self, at: IntArray, num_nodes: int) -> None:
        self.at = at
        self.key = blake2b(at.astype(np.int64).tobytes(), digest_size=16).digest()
        self.order = np.argsort(at, kind="stable")
        self.sorted = at[self.order]
        self.in_order = bool(np.all(self.order == np.arange(len(at))))
        self._num_nodes = num_nodes
        self._lookup: IntArray | None = None

    def lookup(self) -> IntArray:
        # Node index -> position in ``sorted`` (-1: not a place); built only when a short row needs it.
        if self._lookup is None:
            self._lookup = np.full(self._num_nodes, -1, dtype=np.int64)
            self._lookup[self.sorted] = np.arange(len(self.sorted), dtype=np.int64)
        return self._lookup

    def project(self, row: _Row, limit_s: int) -> tuple[IntArray, IntArray]:
        """Positions (ascending) of the places ``row`` reaches within ``limit_s``, and its seconds to them."""
        key = self.key + limit_s.to_bytes(8, "little")
        if row.projected is not None and row.projected[0] == key:
            return row.projected[1], row.projected[2]
        if len(row.nodes) == 0 or len(self.sorted) == 0:
            positions, seconds = np.zeros(0, np.int64), np.zeros(0, np.int64)
        elif len(row.nodes) > LOOKUP_RATIO * len(self.sorted):
            at = np.minimum(np.searchsorted(row.nodes, self.sorted), len(row.nodes) - 1)
            hit = row.nodes[at] == self.sorted
            positions, seconds = np.flatnonzero(hit), row.seconds[at[hit]].astype(np.int64)
        else:
            where = self.lookup()[row.nodes]
            hit = where >= 0
            positions, seconds = where[hit], row.seconds[hit].astype(np.int64)
        if limit_s < row.limit_s:
            within = seconds <= limit_s
            positions, seconds = positions[within], seconds[within]
        if not self.in_order:
            positions = self.order[positions]
            ascending = np.argsort(positions, kind="stable")
            positions, seconds = positions[ascending], seconds[ascending]
        row.projected = (key, positions, seconds)
        return positions, seconds


class TravelCache:
    """Bounded shortest-path rows kept across calls, least recently used dropped beyond ``max_cells``.

    One per incident: the coordinator passes it in every re-plan (``SolveParams(travel_cache=cache)``). A cell
    is one reached node of one row (8 bytes), so the default holds about 320 MB; a row shared by several
    graph versions counts once.
    """

    def __init__(self, max_cells: int = 40_000_000, *, versions_kept: int = 8) -> None:
        if max_cells < 0:
            raise ValueError(f"max_cells {max_cells!r}: must be >= 0")
        if versions_kept < 1:
            raise ValueError(f"versions_kept {versions_kept!r}: must be >= 1")
        self.max_cells = max_cells
        self.versions_kept = versions_kept
        self._rows: OrderedDict[tuple[str, int], _Row] = OrderedDict()
        # A row carried over to a new version is held under both: its cells count once, while any holds it.
        self._cells = 0
        self._holders: dict[int, int] = {}
        # Per open frame, the closure versions seen (latest last): rows may carry over between them.
        self._versions: dict[str, OrderedDict[str, frozenset[Road]]] = {}
        # The nodes each version holds rows for, so a version's rows go when the version is forgotten.
        self._nodes_of: dict[str, set[int]] = {}
        # Counters for tests and benchmarks: rows searched, found, and carried over to a new graph version.
        self.searches = 0
        self.hits = 0
        self.kept_across_versions = 0
        self.evictions = 0
        # The last tables assembled: a re-plan whose places, limits and roads did not change reads the same
        # table again instead of projecting every row anew (a table never changes once made).
        self._tables: OrderedDict[tuple[object, ...], TravelTable] = OrderedDict()
        self.table_hits = 0
        # Per roads and sources (the last few): each target's column by (target, limit).
        self._columns: OrderedDict[tuple[str, bytes], dict[tuple[int, int], tuple[IntArray, IntArray]]] = (
            OrderedDict()
        )

    def copy(self) -> "TravelCache":
        """A cache holding the same rows (shared: a row never changes); what either learns later the other does not."""
        twin = TravelCache(self.max_cells, versions_kept=self.versions_kept)
        twin._rows = OrderedDict(self._rows)
        twin._cells = self._cells
        twin._holders = dict(self._holders)
        twin._versions = {fp: OrderedDict(versions) for fp, versions in self._versions.items()}
        twin._nodes_of = {fp: set(nodes) for fp, nodes in self._nodes_of.items()}
        twin._tables = OrderedDict(self._tables)
        twin._columns = OrderedDict((base, dict(kept)) for base, kept in self._columns.items())
        return twin

    @property
    def cells(self) -> int:
        return self._cells

    @property
    def rows(self) -> int:
        return len(self._rows)

    def table(
        self,
        graph: RoadGraph,
        sources: Sequence[NodeId],
        targets: Sequence[NodeId],
        limits_s: Sequence[int],
        backend: TravelBackend | None = None,
    ) -> TravelTable:
        """Seconds from each source to each target within that target's limit (``limits_s[j]``).

        Sources and targets must each be distinct places.
        """
        if len(limits_s) != len(targets):
            raise ValueError(f"limits_s: {len(limits_s)} limits for {len(targets)} targets")
        key = (graph.fingerprint, tuple(sources), tuple(targets), tuple(limits_s))
        known = self._tables.get(key)
        if known is not None:
            self._tables.move_to_end(key)
            self.table_hits += 1
            return known
        table = self._assemble(graph, sources, targets, limits_s, backend)
        self._tables[key] = table
        if len(self._tables) > TABLES_KEPT:
            self._tables.popitem(last=False)
        return table

    def _assemble(
        self,
        graph: RoadGraph,
        sources: Sequence[NodeId],
        targets: Sequence[NodeId],
        limits_s: Sequence[int],
        backend: TravelBackend | None,
    ) -> TravelTable:
        for limit in limits_s:
            check_limit(limit)
        source_at = _distinct(graph, sources, "sources")
        target_at = _distinct(graph, targets, "targets")
        limits = np.array(limits_s, dtype=np.int64)
        if len(source_at) == 0 or len(target_at) == 0:
            empty = np.zeros(0, np.int64)
            return table_from_pairs(len(source_at), len(target_at), empty, empty, empty)
        # Columns (one target's sources and seconds) kept from the last tables on these roads and sources: a
        # re-plan whose needs changed reads the others' columns as they were.
        base = (graph.fingerprint, source_at.tobytes())
        kept = self._columns.pop(base, {})
        self._columns[base] = kept
        while len(self._columns) > TABLES_KEPT:
            self._columns.popitem(last=False)
        wanted = list(zip(target_at.tolist(), limits.tolist(), strict=True))
        columns = [kept.get(c) for c in wanted]
        if all(column is not None for column in columns):
            return _from_columns(len(source_at), [c for c in columns if c is not None])
        table = self._searched(graph, source_at, target_at, limits, backend)
        # Needs come and go: the columns of places no longer asked for go once they outnumber the rest.
        if len(kept) > 2 * len(wanted) + 256:
            kept.clear()
        for j, column in enumerate(wanted):
            kept[column] = table.column(j)
        return table

    def _searched(
        self,
        graph: RoadGraph,
        source_at: IntArray,
        target_at: IntArray,
        limits: IntArray,
        backend: TravelBackend | None,
    ) -> TravelTable:
        engine = backend if backend is not None else choose_backend(graph)
        forward, backward = graph, graph.reversed()
        widest = int(limits.max())
        missing_back = sum(
            not self._known(backward, t, lim)
            for t, lim in zip(target_at.tolist(), limits.tolist(), strict=True)
        )
        # The targets' side when it misses nothing; else the side with fewer rows missing, then fewer places.
        if missing_back == 0 or (missing_back, len(target_at)) < (
            sum(not self._known(forward, s, widest) for s in source_at.tolist()),
            len(source_at),
        ):
            rows = self._rows_for(backward, target_at, limits, engine)
            places = _Places(source_at, graph.num_nodes)
            parts = [places.project(row, limit) for row, limit in zip(rows, limits.tolist(), strict=True)]
            return _from_columns(len(source_at), parts)
        rows = self._rows_for(forward, source_at, np.full(len(source_at), widest, np.int64), engine)
        places = _Places(target_at, graph.num_nodes)
        parts = [places.project(row, widest) for row in rows]
        pair_target = np.concatenate([p for p, _ in parts])
        pair_source = np.repeat(np.arange(len(source_at), dtype=np.int64), [len(p) for p, _ in parts])
        pair_seconds = np.concatenate([s for _, s in parts])
        ok = pair_seconds <= limits[pair_target]
        return table_from_pairs(
            len(source_at), len(target_at), pair_source[ok], pair_target[ok], pair_seconds[ok]
        )

    def matrix(
        self,
        graph: RoadGraph,
        sources: Sequence[NodeId],
        targets: Sequence[NodeId],
        limit_s: int,
        backend: TravelBackend | None = None,
    ) -> IntArray:
        """Like ``travel_matrix``: shape ``(len(sources), len(targets))``, repeated places allowed."""
        unique_sources, source_row, unique_targets, target_column = distinct_places(
            graph, sources, targets, limit_s
        )
        table = self.table(
            graph,
            [graph.nodes[i] for i in unique_sources],
            [graph.nodes[i] for i in unique_targets],
            [limit_s] * len(unique_targets),
            backend,
        )
        return np.ascontiguousarray(table.dense()[np.ix_(source_row, target_column)])

    def _known(self, frame: RoadGraph, node: int, limit: int) -> bool:
        """Whether a row is held for this version, or for a sibling version it may carry over from."""
        row = self._rows.get((frame.fingerprint, node))
        if row is not None and row.limit_s >= limit:
            return True
        siblings: Mapping[str, frozenset[Road]] = self._versions.get(frame.open_graph().fingerprint, {})
        return any(
            (row := self._rows.get((version, node))) is not None and row.limit_s >= limit
            for version in siblings
        )

    def _rows_for(
        self, frame: RoadGraph, nodes: IntArray, limits: IntArray, backend: TravelBackend
    ) -> list[_Row]:
        siblings = self._siblings(frame)
        found: list[_Row | None] = []
        for node, limit in zip(nodes.tolist(), limits.tolist(), strict=True):
            key = (frame.fingerprint, node)
            row = self._rows.get(key)
            if row is not None and row.limit_s >= limit:
                self._rows.move_to_end(key)
                self.hits += 1
            else:
                row = self._carried_over(frame, node, limit, siblings)
            found.append(row)
        missing = [k for k, row in enumerate(found) if row is None]
        for limit in sorted({int(limits[k]) for k in missing}):
            batch = [k for k in missing if limits[k] == limit]
            for k, row in zip(batch, self._search(frame, nodes[batch], limit, backend), strict=True):
                found[k] = row
                self._store((frame.fingerprint, int(nodes[k])), row)
        self._evict()
        return [row for row in found if row is not None]

    def _siblings(self, frame: RoadGraph) -> list[tuple[str, list[_ChangedArc]]]:
        """Earlier versions of this frame (latest first) and the arcs that changed since each."""
        versions = self._versions.setdefault(frame.open_graph().fingerprint, OrderedDict())
        versions[frame.fingerprint] = frame.closures
        versions.move_to_end(frame.fingerprint)
        while len(versions) > self.versions_kept:
            forgotten, _ = versions.popitem(last=False)
            for node in self._nodes_of.pop(forgotten, set()):
                self._release(self._rows.pop((forgotten, node)))
        open_frame = frame.open_graph()
        result = []
        for version, closures in reversed(versions.items()):
            if version == frame.fingerprint:
                continue
            changed = [
                _ChangedArc(frame.index_of(u), frame.index_of(v), open_frame.edge_seconds(u, v), closed)
                for closed, arcs in ((True, frame.closures - closures), (False, closures - frame.closures))
                for u, v in sorted(arcs)
            ]
            result.append((version, changed))
        return result

    def _carried_over(
        self, frame: RoadGraph, node: int, limit: int, siblings: list[tuple[str, list[_ChangedArc]]]
    ) -> _Row | None:
        for version, changed in siblings:
            row = self._rows.get((version, node))
            if row is not None and row.limit_s >= limit and _unchanged(row, changed):
                self.kept_across_versions += 1
                self._store((frame.fingerprint, node), row)
                return row
        return None

    def _search(self, frame: RoadGraph, nodes: IntArray, limit: int, backend: TravelBackend) -> list[_Row]:
        dtype = np.int32 if limit < np.iinfo(np.int32).max else np.int64
        step = max(1, SCRATCH_CELLS // frame.num_nodes)
        rows = []
        for first in range(0, len(nodes), step):
            chunk = nodes[first : first + step]
            dense = backend.seconds_from(frame, [frame.nodes[i] for i in chunk], limit)
            for k in range(len(chunk)):
                reached = np.flatnonzero(dense[k] != UNREACHABLE)
                rows.append(_Row(limit, reached.astype(np.int32), dense[k, reached].astype(dtype)))
        self.searches += len(nodes)
        return rows

    def _store(self, key: tuple[str, int], row: _Row) -> None:
        old = self._rows.pop(key, None)
        if old is not None:
            self._release(old)
        self._rows[key] = row
        self._nodes_of.setdefault(key[0], set()).add(key[1])
        held = self._holders.get(id(row), 0)
        if held == 0:
            self._cells += len(row.nodes)
        self._holders[id(row)] = held + 1

    def _release(self, row: _Row) -> None:
        held = self._holders.pop(id(row)) - 1
        if held:
            self._holders[id(row)] = held
        else:
            self._cells -= len(row.nodes)

    def _evict(self) -> None:
        while self._cells > self.max_cells and self._rows:
            (version, node), row = self._rows.popitem(last=False)
            self._nodes_of[version].discard(node)
            self._release(row)
            self.evictions += 1


def _from_columns(num_sources: int, columns: Sequence[tuple[IntArray, IntArray]]) -> TravelTable:
    """A table from each target's (source positions ascending, seconds), targets in order."""
    indptr = np.zeros(len(columns) + 1, dtype=np.int64)
    np.cumsum([len(p) for p, _ in columns], out=indptr[1:])
    return TravelTable(
        num_sources=num_sources,
        indptr=indptr,
        sources=np.concatenate([np.zeros(0, np.int64), *(p for p, _ in columns)]),
        seconds=np.concatenate([np.zeros(0, np.int64), *(s for _, s in columns)]),
    )


def _distinct(graph: RoadGraph, places: Sequence[NodeId], what: str) -> IntArray:
    at = np.array([graph.index_of(place) for place in places], dtype=np.int64)
    if len(np.unique(at)) != len(at):
        raise ValueError(f"{what}: each place must be given once")
    return at


def _unchanged(row: _Row, changed: list[_ChangedArc]) -> bool:
    """Whether ``row`` is exact once ``changed`` arcs are closed or reopened (see the module docstring)."""
    if not changed:
        return True
    ends = np.array([[arc.tail, arc.head] for arc in changed], dtype=np.int64)
    tail_s, head_s = row.seconds_at(ends[:, 0]), row.seconds_at(ends[:, 1])
    for arc, tail, head in zip(changed, tail_s.tolist(), head_s.tolist(), strict=True):
        if tail == UNREACHABLE or tail + arc.seconds > row.limit_s:
            continue  # the arc leads nowhere within the limit
        via = tail + arc.seconds
        if (arc.closed and via == head) or (not arc.closed and via < head):
            return False
    return True
