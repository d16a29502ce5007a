"""The travel cache answers exactly what a fresh search would, and searches only what changed."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.ids import NodeId
from engine.travel import UNREACHABLE, NetworkxDijkstra, RoadGraph, ScipyDijkstra, TravelCache, travel_matrix
from tests.travel.test_backends import Edge, floyd_warshall, networks

Network = tuple[list[Edge], bool, list[tuple[str, str]], int]


def expected_table(
    graph: RoadGraph, sources: list[NodeId], targets: list[NodeId], limits: list[int]
) -> np.ndarray:
    """Dense seconds with each target's own limit, from a fresh search per limit."""
    dense = np.full((len(sources), len(targets)), UNREACHABLE, dtype=np.int64)
    for j, (target, limit) in enumerate(zip(targets, limits, strict=True)):
        dense[:, j] = travel_matrix(graph, sources, [target], limit)[:, 0]
    return dense


# Half the examples it had: each run draws new ones (not derandomized) and Hypothesis's database replays any
# that failed, so the cases add up over runs while one run of the suite costs less.
@settings(max_examples=60, deadline=None)
@given(network=networks(), data=st.data())
def test_tables_match_floyd_warshall_across_versions_with_one_cache(
    network: Network, data: st.DataObject
) -> None:
    edges, directed, closed, limit_s = network
    base = RoadGraph.from_edges(edges, directed=directed)
    cache = TravelCache(max_cells=data.draw(st.sampled_from([0, 5, 10_000]), label="max_cells"))
    # The same cache across the open graph, a closure version, and back: every answer must stay exact.
    for graph, shut in ((base, []), (base.with_closures(closed), closed), (base, [])):
        nodes, all_pairs = floyd_warshall(edges, directed, shut, 10_000)
        places = st.lists(st.sampled_from(graph.nodes), unique=True, max_size=6)
        sources, targets = data.draw(places, label="sources"), data.draw(places, label="targets")
        limits = data.draw(st.lists(st.integers(0, limit_s), min_size=len(targets), max_size=len(targets)))
        table = cache.table(graph, sources, targets, limits)
        want = all_pairs[np.ix_([nodes.index(s) for s in sources], [nodes.index(t) for t in targets])]
        want = np.where(want <= np.array(limits, dtype=np.int64), want, UNREACHABLE)
        np.testing.assert_array_equal(table.dense(), want)
        for j in range(len(targets)):
            positions = np.arange(len(sources), dtype=np.int64)
            np.testing.assert_array_equal(table.lookup(j, positions), want[:, j])


@settings(max_examples=60, deadline=None)
@given(network=networks(), data=st.data())
def test_matrix_matches_travel_matrix_with_repeated_places(network: Network, data: st.DataObject) -> None:
    edges, directed, closed, limit_s = network
    graph = RoadGraph.from_edges(edges, directed=directed).with_closures(closed)
    places = st.lists(st.sampled_from(graph.nodes), max_size=7)
    sources, targets = data.draw(places, label="sources"), data.draw(places, label="targets")
    cache = TravelCache()
    for backend in (NetworkxDijkstra(), ScipyDijkstra()):
        np.testing.assert_array_equal(
            cache.matrix(graph, sources, targets, limit_s, backend),
            travel_matrix(graph, sources, targets, limit_s),
        )


GRID = RoadGraph.grid(12, 12, edge_s=60, jitter=0.3, seed=3)
SOURCES = [NodeId(f"g{r}_{c}") for r in range(0, 12, 3) for c in range(0, 12, 2)]  # 24 resource places
TARGETS = [NodeId(f"g{r}_{c}") for r, c in ((1, 1), (5, 7), (9, 3), (10, 10))]  # 4 need places


def test_one_new_target_is_one_search_and_a_status_change_none() -> None:
    cache = TravelCache()
    cache.table(GRID, SOURCES, TARGETS, [600] * 4)
    assert cache.searches == 4  # from the side with fewer places: the needs'
    cache.table(GRID, SOURCES, [*TARGETS, NodeId("g6_6")], [600] * 5)
    assert cache.searches == 5
    cache.table(GRID, SOURCES, [*TARGETS, NodeId("g6_6")], [600] * 5)
    assert cache.searches == 5


def test_the_warm_side_stays_chosen_even_when_the_other_has_fewer_places() -> None:
    cache = TravelCache()
    cache.table(GRID, SOURCES[:3], TARGETS, [600] * 4)
    assert cache.searches == 3  # cold: the three sources
    cache.table(GRID, SOURCES[:3], [*TARGETS, NodeId("g6_6")], [600] * 5)
    assert cache.searches == 3  # a new target reads the sources' rows: no search at all


def test_a_wider_limit_searches_again_and_a_narrower_one_reuses() -> None:
    cache = TravelCache()
    narrow = cache.table(GRID, SOURCES, TARGETS, [300] * 4)
    assert cache.searches == 4
    wide = cache.table(GRID, SOURCES, TARGETS, [900] * 4)
    assert cache.searches == 8
    again = cache.table(GRID, SOURCES, TARGETS, [300] * 4)
    assert cache.searches == 8
    np.testing.assert_array_equal(again.dense(), narrow.dense())
    assert (wide.dense() < UNREACHABLE).sum() > (narrow.dense() < UNREACHABLE).sum()


def test_a_closed_road_searches_only_the_rows_whose_paths_used_it() -> None:
    cache = TravelCache()
    cache.table(GRID, SOURCES, TARGETS, [600] * 4)
    # Next to g1_1 only: g10_10's search, 600 s away at most, never came near it.
    closed = GRID.with_closures([("g1_1", "g1_2")])
    table = cache.table(closed, SOURCES, TARGETS, [600] * 4)
    assert cache.searches == 5
    assert cache.kept_across_versions == 3
    np.testing.assert_array_equal(table.dense(), expected_table(closed, SOURCES, TARGETS, [600] * 4))
    # Reopening returns to a version the cache still holds: nothing to search.
    reopened = cache.table(closed.reopened([("g1_1", "g1_2")]), SOURCES, TARGETS, [600] * 4)
    assert cache.searches == 5
    np.testing.assert_array_equal(reopened.dense(), expected_table(GRID, SOURCES, TARGETS, [600] * 4))


def test_reopening_a_road_that_was_closed_before_the_cache_saw_the_graph() -> None:
    closed = GRID.with_closures([("g5_6", "g5_7"), ("g5_7", "g6_7")])
    cache = TravelCache()
    cache.table(closed, SOURCES, TARGETS, [600] * 4)
    opened = closed.reopened([("g5_6", "g5_7")])
    table = cache.table(opened, SOURCES, TARGETS, [600] * 4)
    np.testing.assert_array_equal(table.dense(), expected_table(opened, SOURCES, TARGETS, [600] * 4))
    assert 4 < cache.searches < 8  # g5_7's row is searched again; the far ones are kept


def test_rows_stay_within_max_cells_and_forgotten_versions_take_their_rows() -> None:
    cache = TravelCache(max_cells=200)
    cache.table(GRID, SOURCES, TARGETS, [900] * 4)
    assert cache.cells <= 200 and cache.evictions > 0
    versions = TravelCache(versions_kept=2)
    graph = GRID
    for c in range(6):
        graph = graph.with_closures([(f"g0_{c}", f"g0_{c + 1}")])
        versions.table(graph, SOURCES, TARGETS, [600] * 4)
    assert versions.rows <= 2 * len(TARGETS)


def test_a_copy_shares_what_was_known_and_learns_apart() -> None:
    cache = TravelCache()
    cache.table(GRID, SOURCES, TARGETS, [600] * 4)
    twin = cache.copy()
    twin.table(GRID, SOURCES, [*TARGETS, NodeId("g6_6")], [600] * 5)
    assert (twin.searches, twin.rows, cache.rows) == (1, 5, 4)


def test_bad_requests_are_named() -> None:
    cache = TravelCache()
    for call, message in (
        (lambda: cache.table(GRID, SOURCES, TARGETS, [600] * 3), "limits_s: 3 limits for 4 targets"),
        (lambda: cache.table(GRID, SOURCES, [TARGETS[0], TARGETS[0]], [600] * 2), "targets: each place"),
        (lambda: cache.table(GRID, SOURCES, TARGETS, [600, 600, 600, -1]), "limit_s -1: must be an int >= 0"),
        (lambda: cache.table(GRID, [NodeId("nowhere")], TARGETS, [600] * 4), "node 'nowhere'"),
        (lambda: TravelCache(max_cells=-1), "max_cells -1"),
    ):
        try:
            call()
        except ValueError as err:
            assert message in str(err)
        else:
            raise AssertionError(f"no error for {message}")
