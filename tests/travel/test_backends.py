"""Both backends and travel_matrix against Floyd–Warshall on the raw edge list, limits and closures included."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.ids import NodeId
from engine.travel import (
    UNREACHABLE,
    NetworkxDijkstra,
    RoadGraph,
    ScipyDijkstra,
    TravelBackend,
    choose_backend,
    travel_matrix,
)
from engine.travel.matrix import SCIPY_FROM_NODES

BACKENDS: list[TravelBackend] = [NetworkxDijkstra(), ScipyDijkstra(), ScipyDijkstra(chunk_cells=1)]
Edge = tuple[str, str, int]


def floyd_warshall(
    edges: Sequence[Edge], directed: bool, closed: Sequence[tuple[str, str]], limit_s: int
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """All-pairs seconds straight from the edge list, knowing nothing of RoadGraph's internals."""
    nodes = sorted({u for u, _, _ in edges} | {v for _, v, _ in edges})
    at = {node: i for i, node in enumerate(nodes)}
    # A closed road is closed both ways, on directed maps too.
    shut = set(closed) | {(v, u) for u, v in closed}
    seconds = np.full((len(nodes), len(nodes)), np.inf)
    np.fill_diagonal(seconds, 0)
    for u, v, s in edges:
        for a, b in [(u, v)] if directed else [(u, v), (v, u)]:
            if (a, b) not in shut:
                seconds[at[a], at[b]] = min(seconds[at[a], at[b]], s)
    for k in range(len(nodes)):
        seconds = np.minimum(seconds, seconds[:, [k]] + seconds[[k], :])
    within = seconds <= limit_s
    return nodes, np.where(within, np.where(within, seconds, 0).astype(np.int64), UNREACHABLE)


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Edge], bool, list[tuple[str, str]], int]:
    names = [f"n{i}" for i in range(draw(st.integers(2, 8)))]
    edges = draw(
        st.lists(
            st.tuples(st.sampled_from(names), st.sampled_from(names), st.integers(1, 30)).filter(
                lambda edge: edge[0] != edge[1]
            ),
            min_size=1,
            max_size=20,
        )
    )
    closed = draw(st.lists(st.sampled_from([(u, v) for u, v, _ in edges]), max_size=3))
    return edges, draw(st.booleans()), closed, draw(st.integers(0, 90))


# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
@settings(max_examples=75, deadline=None)
@given(network=networks())
def test_backends_match_floyd_warshall(network: tuple[list[Edge], bool, list[tuple[str, str]], int]) -> None:
    edges, directed, closed, limit_s = network
    graph = RoadGraph.from_edges(edges, directed=directed).with_closures(closed)
    nodes, expected = floyd_warshall(edges, directed, closed, limit_s)
    assert list(graph.nodes) == nodes
    for backend in BACKENDS:
        seconds = backend.seconds_from(graph, graph.nodes, limit_s)
        assert seconds.dtype == np.int64
        np.testing.assert_array_equal(seconds, expected, err_msg=backend.name)


# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
@settings(max_examples=75, deadline=None)
@given(network=networks(), data=st.data())
def test_travel_matrix_matches_floyd_warshall(
    network: tuple[list[Edge], bool, list[tuple[str, str]], int], data: st.DataObject
) -> None:
    edges, directed, closed, limit_s = network
    graph = RoadGraph.from_edges(edges, directed=directed).with_closures(closed)
    nodes, expected = floyd_warshall(edges, directed, closed, limit_s)
    places = st.lists(st.sampled_from(graph.nodes), max_size=7)
    sources, targets = data.draw(places, label="sources"), data.draw(places, label="targets")
    wanted = expected[np.ix_([nodes.index(s) for s in sources], [nodes.index(t) for t in targets])]
    for backend in [*BACKENDS, None]:
        matrix = travel_matrix(graph, sources, targets, limit_s, backend)
        assert matrix.shape == (len(sources), len(targets))
        np.testing.assert_array_equal(matrix, wanted)


class Recorder:
    """Remembers what travel_matrix asked for, so the choice of search side can be checked."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[RoadGraph, list[NodeId]]] = []

    def seconds_from(
        self, graph: RoadGraph, sources: Sequence[NodeId], limit_s: int
    ) -> npt.NDArray[np.int64]:
        self.calls.append((graph, list(sources)))
        return NetworkxDijkstra().seconds_from(graph, sources, limit_s)


def test_matrix_searches_back_from_fewer_targets_on_the_reversed_graph() -> None:
    graph = RoadGraph.from_edges([("a", "b", 4), ("b", "c", 6), ("c", "a", 100)], directed=True)
    recorder = Recorder()
    matrix = travel_matrix(graph, ["a", "b", "c", "a"], ["c", "c"], 50, recorder)
    assert matrix.tolist() == [[10, 10], [6, 6], [0, 0], [10, 10]]
    assert recorder.calls == [(graph.reversed(), ["c"])]
    assert recorder.calls[0][0] != graph


def test_matrix_searches_forward_from_deduplicated_sources() -> None:
    graph = RoadGraph.from_edges([("a", "b", 4), ("b", "c", 6)], directed=True)
    recorder = Recorder()
    matrix = travel_matrix(graph, ["c", "a", "c"], ["a", "b", "c"], 50, recorder)
    assert matrix.tolist() == [[UNREACHABLE, UNREACHABLE, 0], [0, 4, 10], [UNREACHABLE, UNREACHABLE, 0]]
    assert recorder.calls == [(graph, ["a", "c"])]


def test_empty_sides_give_empty_matrices() -> None:
    graph = RoadGraph.from_edges([("a", "b", 4)])
    assert travel_matrix(graph, [], ["a"], 10).shape == (0, 1)
    assert travel_matrix(graph, ["a", "b"], [], 10).shape == (2, 0)
    for backend in BACKENDS:
        assert backend.seconds_from(graph, [], 10).shape == (0, 2)


def test_closing_a_road_reroutes_and_reopening_restores() -> None:
    grid = RoadGraph.grid(3, 3, edge_s=60)
    corner = [NodeId("g0_0")], [NodeId("g0_2"), NodeId("g2_2")]
    closed = grid.with_closures([("g0_0", "g0_1"), ("g1_1", "g0_1"), ("g1_1", "g1_2")])
    for backend in BACKENDS:
        assert travel_matrix(grid, *corner, 3600, backend).tolist() == [[120, 240]]
        assert travel_matrix(closed, *corner, 3600, backend).tolist() == [[360, 240]]
        assert travel_matrix(closed, *corner, 300, backend).tolist() == [[UNREACHABLE, 240]]
        assert travel_matrix(closed.reopened([("g0_1", "g0_0")]), *corner, 3600, backend).tolist() == [
            [120, 240]
        ]


def test_one_way_roads_only_go_one_way() -> None:
    graph = RoadGraph.from_edges([("a", "b", 5)], directed=True)
    for backend in BACKENDS:
        assert backend.seconds_from(graph, ["a", "b"], 100).tolist() == [[0, 5], [UNREACHABLE, 0]]
        assert travel_matrix(graph, ["a", "b"], ["b"], 100, backend).tolist() == [[5], [0]]
        assert travel_matrix(graph, ["b"], ["a", "b"], 100, backend).tolist() == [[UNREACHABLE, 0]]


def test_limit_is_inclusive() -> None:
    graph = RoadGraph.from_edges([("a", "b", 5), ("b", "c", 5)])
    for backend in BACKENDS:
        assert backend.seconds_from(graph, ["a"], 10).tolist() == [[0, 5, 10]]
        assert backend.seconds_from(graph, ["a"], 9).tolist() == [[0, 5, UNREACHABLE]]
        assert backend.seconds_from(graph, ["a"], 0).tolist() == [[0, UNREACHABLE, UNREACHABLE]]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda backend: backend.name)
def test_bad_queries_are_named(backend: TravelBackend) -> None:
    graph = RoadGraph.from_edges([("a", "b", 5)])
    with pytest.raises(ValueError, match="node 'x': not in the road graph"):
        backend.seconds_from(graph, [NodeId("a"), NodeId("x")], 10)
    with pytest.raises(ValueError, match="limit_s -1: must be an int >= 0"):
        backend.seconds_from(graph, [NodeId("a")], -1)
    with pytest.raises(ValueError, match="node 'y': not in the road graph"):
        travel_matrix(graph, [NodeId("a")], [NodeId("y")], 10, backend)


def test_choose_backend_switches_to_scipy_at_the_measured_size() -> None:
    small = RoadGraph.grid(1, max(1, SCIPY_FROM_NODES - 1))
    large = RoadGraph.grid(1, SCIPY_FROM_NODES)
    assert small.num_nodes < SCIPY_FROM_NODES <= large.num_nodes
    assert choose_backend(small).name == "networkx"
    assert choose_backend(large).name == "scipy"
