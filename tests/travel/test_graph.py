"""RoadGraph: construction rules, closures as versions, fingerprints, and read-only routing views."""

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model.ids import NodeId
from engine.travel import RoadGraph

TRIANGLE = [("a", "b", 5), ("b", "c", 7), ("a", "c", 20)]


def test_nodes_are_sorted_and_indexed_in_that_order() -> None:
    graph = RoadGraph.from_edges([("z", "m", 1), ("m", "a", 2)])
    assert graph.nodes == ("a", "m", "z")
    assert [graph.index_of(node) for node in graph.nodes] == [0, 1, 2]
    assert graph.has_node("m")
    assert not graph.has_node("q")


def test_unknown_node_is_named() -> None:
    with pytest.raises(ValueError, match="node 'q': not in the road graph"):
        RoadGraph.from_edges(TRIANGLE).index_of("q")


@pytest.mark.parametrize(
    ("edge", "message"),
    [
        (("a", "b", 0), "edge a->b: seconds 0 must be an int > 0"),
        (("a", "b", -3), "edge a->b: seconds -3 must be an int > 0"),
        (("a", "b", 1.5), "edge a->b: seconds 1.5 must be an int > 0"),
        (("a", "b", True), "edge a->b: seconds True must be an int > 0"),
        (("a", "a", 4), "edge a->a: self-loop"),
        (("", "b", 4), "edge ''->'b': node id '' must be a non-empty str"),
        ((7, "b", 4), "edge 7->'b': node id 7 must be a non-empty str"),
    ],
)
def test_bad_edges_are_refused_by_name(edge: tuple[str, str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoadGraph.from_edges([("x", "y", 1), edge])


def test_repeated_undirected_roads_keep_the_fastest_either_way_round() -> None:
    graph = RoadGraph.from_edges([("a", "b", 9), ("b", "a", 4), ("a", "b", 6)])
    assert (graph.edge_seconds("a", "b"), graph.edge_seconds("b", "a")) == (4, 4)
    assert graph.num_edges == 1


def test_directed_roads_are_kept_per_direction() -> None:
    graph = RoadGraph.from_edges([("a", "b", 9), ("b", "a", 4), ("a", "b", 6)], directed=True)
    assert (graph.edge_seconds("a", "b"), graph.edge_seconds("b", "a")) == (6, 4)
    assert graph.num_edges == 2
    one_way = RoadGraph.from_edges([("a", "b", 9)], directed=True)
    with pytest.raises(ValueError, match="road b->a: no such road"):
        one_way.edge_seconds("b", "a")


def test_closures_are_cumulative_versions_that_leave_the_original_alone() -> None:
    graph = RoadGraph.from_edges(TRIANGLE)
    first = graph.with_closures([("a", "b")])
    both = first.with_closures([("c", "b")])
    assert graph.closures == frozenset()
    assert first.closures == {("a", "b"), ("b", "a")}
    assert both.closures == {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")}
    assert (graph.num_edges, first.num_edges, both.num_edges) == (3, 2, 1)
    assert both.open_graph() is graph
    with pytest.raises(ValueError, match="road a->b: closed"):
        first.edge_seconds("a", "b")
    assert graph.edge_seconds("a", "b") == 5


def test_reopening_in_either_direction_restores_the_open_graph() -> None:
    graph = RoadGraph.from_edges(TRIANGLE)
    closed = graph.with_closures([("a", "b"), ("b", "c")])
    partly = closed.reopened([("b", "a")])
    assert partly.closures == {("b", "c"), ("c", "b")}
    assert partly.reopened([("c", "b")]) is graph
    assert closed.reopened([("a", "c")]).closures == closed.closures


def test_a_closure_closes_both_ways_on_a_directed_map() -> None:
    # An OSM two-way street is two arcs: a flooded street is flooded for traffic both ways.
    graph = RoadGraph.from_edges([("a", "b", 3), ("b", "a", 3), ("b", "c", 2)], directed=True)
    closed = graph.with_closures([("a", "b")])
    assert closed.closures == {("a", "b"), ("b", "a")}
    with pytest.raises(ValueError, match="closed"):
        closed.edge_seconds("b", "a")
    # A one-way street has one arc: closing it closes that arc.
    assert graph.with_closures([("b", "c")]).closures == {("b", "c")}
    # Reopening opens both ways again.
    assert closed.reopened([("a", "b")]) is graph


def test_a_one_way_closure_closes_the_direction_named_only() -> None:
    graph = RoadGraph.from_edges([("a", "b", 3), ("b", "a", 3)], directed=True)
    closed = graph.with_closures([("a", "b")], one_way=True)
    assert closed.closures == {("a", "b")}
    assert closed.edge_seconds("b", "a") == 3


def test_a_closure_closes_both_ways_on_grid_and_edge_maps() -> None:
    grid = RoadGraph.grid(2, 2, edge_s=60)
    assert grid.with_closures([("g0_0", "g0_1")]).closures == {("g0_0", "g0_1"), ("g0_1", "g0_0")}
    edges = RoadGraph.from_edges([("a", "b", 3)])
    assert edges.with_closures([("b", "a")]).closures == {("a", "b"), ("b", "a")}


def test_closing_or_reopening_a_missing_road_names_it() -> None:
    graph = RoadGraph.from_edges([*TRIANGLE, ("c", "d", 1)], directed=True)
    with pytest.raises(ValueError, match="closed road a->d: no such road"):
        graph.with_closures([("a", "b"), ("a", "d")])
    with pytest.raises(ValueError, match="closed road b->a: no such road"):
        graph.with_closures([("b", "a")])
    with pytest.raises(ValueError, match="closed road a->nowhere: no such road"):
        graph.with_closures([("a", "nowhere")])
    with pytest.raises(ValueError, match="reopened road d->c: no such road"):
        graph.reopened([("d", "c")])


def test_networkx_view_hides_closed_arcs_and_cannot_be_changed() -> None:
    graph = RoadGraph.from_edges(TRIANGLE)
    view = graph.with_closures([("a", "b")]).networkx()
    assert sorted(view.edges(data="seconds")) == [
        ("a", "c", 20),
        ("b", "c", 7),
        ("c", "a", 20),
        ("c", "b", 7),
    ]
    assert graph.networkx().has_edge("a", "b")
    with pytest.raises(nx.NetworkXError):
        graph.networkx().add_edge("a", "z")


def test_csr_drops_closed_arcs_and_is_read_only() -> None:
    graph = RoadGraph.from_edges(TRIANGLE, directed=True)
    closed = graph.with_closures([("b", "c")])
    assert closed.csr().toarray().tolist() == [[0, 5, 20], [0, 0, 0], [0, 0, 0]]
    assert graph.csr().toarray().tolist() == [[0, 5, 20], [0, 0, 7], [0, 0, 0]]
    with pytest.raises(ValueError, match="read-only"):
        graph.csr().data[0] = 1.0


def test_reversed_turns_arcs_and_closures_around() -> None:
    graph = RoadGraph.from_edges(TRIANGLE, directed=True).with_closures([("a", "b")])
    back = graph.reversed()
    assert back.closures == {("b", "a")}
    assert back.edge_seconds("c", "b") == 7
    assert back.open_graph() is graph.open_graph().reversed()
    undirected = RoadGraph.from_edges(TRIANGLE)
    assert undirected.reversed() is undirected


def test_graphs_without_places_have_no_nearest_node() -> None:
    with pytest.raises(ValueError, match="no node coordinates"):
        RoadGraph.from_edges(TRIANGLE).nearest_node(0.0, 0.0)


edge_lists = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef"), st.integers(1, 50)).filter(
        lambda edge: edge[0] != edge[1]
    ),
    min_size=1,
    max_size=12,
)


@given(edges=edge_lists, directed=st.booleans(), data=st.data())
def test_fingerprint_ignores_edge_order_but_not_content(
    edges: list[tuple[str, str, int]], directed: bool, data: st.DataObject
) -> None:
    graph = RoadGraph.from_edges(edges, directed=directed)
    shuffled = RoadGraph.from_edges(data.draw(st.permutations(edges)), directed=directed)
    assert shuffled == graph
    assert hash(shuffled) == hash(graph)
    assert shuffled.fingerprint == graph.fingerprint
    u, v, _ = edges[0]
    assert RoadGraph.from_edges([*edges, (u, v, 51)], directed=directed) == graph

    def same_road(a: str, b: str) -> bool:
        return (a, b) == (u, v) or (not directed and (b, a) == (u, v))

    retimed = [edge for edge in edges if not same_road(edge[0], edge[1])] + [
        (u, v, graph.edge_seconds(u, v) + 1)
    ]
    assert RoadGraph.from_edges(retimed, directed=directed) != graph
    closed = graph.with_closures([(u, v)])
    assert closed.fingerprint != graph.fingerprint
    assert closed.reopened([(u, v)]) == graph
    assert RoadGraph.from_edges(edges, directed=not directed).fingerprint != graph.fingerprint


@given(edges=edge_lists, directed=st.booleans())
def test_counts_match_networkx(edges: list[tuple[str, str, int]], directed: bool) -> None:
    graph = RoadGraph.from_edges(edges, directed=directed)
    reference = nx.DiGraph() if directed else nx.Graph()
    reference.add_edges_from((u, v) for u, v, _ in edges)
    assert graph.nodes == tuple(sorted(reference.nodes))
    assert graph.num_nodes == reference.number_of_nodes()
    assert graph.num_edges == reference.number_of_edges()
    for u, v, _ in edges:
        fastest = min(s for a, b, s in edges if (a, b) == (u, v) or (not directed and (b, a) == (u, v)))
        assert graph.edge_seconds(NodeId(u), NodeId(v)) == fastest
