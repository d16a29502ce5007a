"""Synthetic grids: shape, seeded jitter, and argument checks."""

from typing import Any

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.travel import RoadGraph


@given(rows=st.integers(1, 6), cols=st.integers(1, 6))
def test_grid_has_the_lattice_shape(rows: int, cols: int) -> None:
    graph = RoadGraph.grid(rows, cols, edge_s=30)
    assert not graph.directed
    assert graph.num_nodes == rows * cols
    assert graph.num_edges == rows * (cols - 1) + cols * (rows - 1)
    assert set(graph.nodes) == {f"g{r}_{c}" for r in range(rows) for c in range(cols)}
    if cols > 1:
        assert graph.edge_seconds("g0_0", "g0_1") == 30
    if rows > 1:
        assert graph.edge_seconds(f"g{rows - 1}_0", f"g{rows - 2}_0") == 30
    lattice = nx.relabel_nodes(nx.grid_2d_graph(rows, cols), lambda rc: f"g{rc[0]}_{rc[1]}")
    assert nx.utils.edges_equal(graph.networkx().to_undirected().edges, lattice.edges)


@given(seed=st.integers(0, 2**32 - 1), jitter=st.floats(0.01, 0.9))
def test_same_seed_same_grid_and_seconds_stay_within_the_jitter(seed: int, jitter: float) -> None:
    graph = RoadGraph.grid(4, 5, edge_s=100, jitter=jitter, seed=seed)
    assert RoadGraph.grid(4, 5, edge_s=100, jitter=jitter, seed=seed) == graph
    seconds = [s for _, _, s in graph.networkx().edges(data="seconds")]
    assert min(seconds) >= max(1, round(100 * (1 - jitter)))
    assert max(seconds) <= round(100 * (1 + jitter))


def test_different_seeds_give_different_grids() -> None:
    grids = {RoadGraph.grid(10, 10, jitter=0.3, seed=seed).fingerprint for seed in range(5)}
    assert len(grids) == 5
    assert RoadGraph.grid(10, 10, jitter=0.0, seed=1) == RoadGraph.grid(10, 10, jitter=0.0, seed=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": 0, "cols": 3}, "grid rows 0: must be an int >= 1"),
        ({"rows": 3, "cols": -1}, "grid cols -1: must be an int >= 1"),
        ({"rows": 3, "cols": 3, "edge_s": 0}, "grid edge_s 0: must be an int >= 1"),
        ({"rows": 3, "cols": 3, "jitter": 1.0}, r"grid jitter 1.0: must be in \[0, 1\)"),
        ({"rows": 3, "cols": 3, "jitter": -0.1}, r"grid jitter -0.1: must be in \[0, 1\)"),
    ],
)
def test_bad_grid_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoadGraph.grid(**kwargs)
