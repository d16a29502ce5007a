"""Whether memory stays flat over many consecutive re-plans: resident size sampled along an event stream."""

import gc
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.harness.incident import Incident, poisson_stream
from benchmarks.harness.instances import instance, road_graph
from benchmarks.harness.sizes import Size
from engine.matching import OptimalMatcher, SolveParams
from engine.travel import TravelCache

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Resident set size now (Linux), in MiB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def flatness(size: Size, replans: int, seed: int, samples: int = 50) -> dict[str, object]:
    """``replans`` re-plans, one per event; RSS sampled ``samples`` times after the first tenth (warm-up)."""
    graph = road_graph(size.rows, size.cols, seed)
    incident = Incident(
        instance(graph, needs=size.needs, units=size.units, seed=seed), (size.rows, size.cols), seed
    )
    cache = TravelCache()
    params = SolveParams(travel_cache=cache)
    events = poisson_stream(np.random.default_rng(seed + 7), replans)
    every = max(1, replans // samples)
    warm_up = replans // 10
    at, rss, blocks = [], [], []
    start = time.perf_counter()
    for k, event in enumerate(events, start=1):
        incident.apply(event.kind)
        incident.previous = OptimalMatcher().solve(incident.problem(), params)
        if k > warm_up and k % every == 0:
            gc.collect()
            at.append(k)
            rss.append(rss_mb())
            blocks.append(sys.getallocatedblocks())
    slope_mb = float(np.polyfit(at, rss, 1)[0]) if len(at) > 1 else 0.0
    slope_blocks = float(np.polyfit(at, blocks, 1)[0]) if len(at) > 1 else 0.0
    return {
        "size": size.name,
        "replans": replans,
        "seconds": round(time.perf_counter() - start, 1),
        "rss_first_mb": round(rss[0], 1) if rss else None,
        "rss_last_mb": round(rss[-1], 1) if rss else None,
        "rss_max_mb": round(max(rss), 1) if rss else None,
        "slope_kb_per_1000_replans": round(slope_mb * 1024 * 1000, 1),
        # Live Python objects (allocated blocks): a leak of Python objects shows here first.
        "blocks_first": blocks[0] if blocks else None,
        "blocks_last": blocks[-1] if blocks else None,
        "blocks_slope_per_1000_replans": round(slope_blocks * 1000, 1),
        "cache_rows": cache.rows,
        "samples": [[k, round(v, 2)] for k, v in zip(at, rss, strict=True)],
    }
