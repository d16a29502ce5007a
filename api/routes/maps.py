"""The community's road graph, laid out for drawing: no map tiles, no internet."""

from functools import lru_cache
from typing import Any

import networkx as nx
from fastapi import APIRouter

from api.deps import BoardDep
from engine.travel import RoadGraph

router = APIRouter(prefix="/communities/{community}", tags=["maps 地图"])

# Beyond this many roads the page draws only the places that matter; a phone cannot draw a city.
MAX_ROADS = 6000


@lru_cache(maxsize=16)
def _layout(graph: RoadGraph) -> dict[str, tuple[float, float]]:
    open_graph = graph.open_graph()
    nodes = open_graph.nodes
    try:
        # Real places: longitude east, latitude north.
        return {n: (round(open_graph.location(n)[1], 6), round(-open_graph.location(n)[0], 6)) for n in nodes}
    except ValueError:
        pass
    if all(n.startswith("g") and "_" in n for n in nodes):
        try:
            return {n: (float(n[1:].split("_")[1]), float(n[1:].split("_")[0])) for n in nodes}
        except ValueError:
            pass
    layout = nx.spring_layout(open_graph.networkx().to_undirected(), seed=1, weight=None)
    return {str(n): (round(float(x), 4), round(float(y), 4)) for n, (x, y) in layout.items()}


@router.get("/map")
def road_map(board: BoardDep) -> dict[str, Any]:
    graph = board.graph
    layout = _layout(graph.open_graph())
    roads = {tuple(sorted((u, v))) for u, v, _ in graph.open_graph().networkx().edges(data=True)}
    closed = sorted({tuple(sorted(pair)) for pair in graph.closures})
    return {
        "nodes": layout if len(roads) <= MAX_ROADS else _places(board, layout),
        "roads": sorted(roads)[:MAX_ROADS] if len(roads) <= MAX_ROADS else [],
        "closed": closed,
        "complete": len(roads) <= MAX_ROADS,
    }


def _places(board: BoardDep, layout: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    wanted = {r.location for r in board.resources.values()} | {r.need.location for r in board.needs.values()}
    return {n: layout[n] for n in sorted(wanted) if n in layout}
