"""Synthetic street grids for tests and benchmarks."""

import numpy as np

from engine.travel.network import Network, build_network


def grid_network(rows: int, cols: int, *, edge_s: int, jitter: float, seed: int) -> Network:
    """An undirected ``rows`` x ``cols`` grid named ``g{r}_{c}``.

    Each road takes ``edge_s`` scaled by a factor drawn uniformly from ``[1 - jitter, 1 + jitter]``, rounded
    to whole seconds and at least 1. Factors are drawn horizontal roads first, then vertical, both row-major,
    so a seed always gives the same grid.
    """
    for field, value in (("rows", rows), ("cols", cols), ("edge_s", edge_s)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"grid {field} {value!r}: must be an int >= 1")
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"grid jitter {jitter!r}: must be in [0, 1)")
    ids = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    tails = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    heads = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    factors = np.random.default_rng(seed).uniform(1.0 - jitter, 1.0 + jitter, size=len(tails))
    seconds = np.maximum(1, np.rint(edge_s * factors)).astype(np.int64)
    names = [f"g{r}_{c}" for r in range(rows) for c in range(cols)]
    return build_network(names, tails, heads, seconds, directed=False)
