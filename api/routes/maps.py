"""The community's road graph, laid out for the console's map (Leaflet, shipped with the package): roads, closed
roads, the operator's base layer if any, and each dispatch's route along the open roads. No internet needed."""

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request

from api.access import sees_dispatch
from api.deps import BoardDep, PrincipalDep
from api.places import places_of
from engine.travel import RoadGraph
from engine.travel.places import Gazetteer, PlaceKind

router = APIRouter(prefix="/communities/{community}", tags=["maps 地图"])

# Beyond this many roads the page draws only the places that matter; a phone cannot draw a city.
MAX_ROADS = 6000
# Shortest paths kept across requests: a plan's routes are asked for on every change of it, and most of them
# (same unit, same need, same roads) are the last request's.
ROUTE_CACHE = 4096


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
    # networkx is imported here and in _path, not with the service: most maps never need it, none before the
    # service's first answer.
    import networkx as nx

    layout = nx.spring_layout(open_graph.networkx().to_undirected(), seed=1, weight=None)
    return {str(n): (round(float(x), 4), round(float(y), 4)) for n, (x, y) in layout.items()}


@router.get("/map")
def road_map(board: BoardDep, request: Request) -> dict[str, Any]:
    """Nodes as ``[x, y]`` (longitude and negated latitude for a map with real places, else the layout's units,
    ``y`` downwards), roads and closed roads as node pairs. ``crs``: ``lonlat`` (real places) or ``plane``.
    ``tiles``: the operator's base layer (``url``, ``attribution``) or null, when the page draws the roads.
    ``names``: what people call each node drawn (the place a tap picks); ``streets``: each named street's name
    and the nodes along it, for its label; ``places``: the buildings and landmarks (name, kind, node)."""
    graph = board.graph
    layout = _layout(graph.open_graph())
    roads = {tuple(sorted((u, v))) for u, v, _ in graph.open_graph().networkx().edges(data=True)}
    closed = sorted({tuple(sorted(pair)) for pair in graph.closures})
    complete = len(roads) <= MAX_ROADS
    nodes = layout if complete else _places(board, layout)
    places = places_of(board)
    # A city-sized map draws only its places that matter, and no roads: their names only, and no streets.
    if places is None:
        names: dict[str, str] = {}
    elif complete:
        names = _names(places, graph.open_graph())
    else:
        names = {n: places.name_of(n) for n in nodes}
    return {
        "nodes": nodes,
        "names": {n: names[n] for n in nodes if n in names},
        "streets": [{"name": name, "nodes": along} for name, along in places.streets()]
        if places and complete
        else [],
        "places": _landmarks(places, nodes) if places else [],
        "roads": sorted(roads) if complete else [],
        "closed": closed,
        "complete": complete,
        "crs": "lonlat" if graph.has_places and graph.num_nodes else "plane",
        "tiles": request.app.state.tiles,
    }


@router.get("/map/routes")
def routes(board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    """Each dispatch of the plan this person may see, proposed or sent, as the road it takes: the shortest path
    on the open roads from the unit to the need, as ``[x, y]`` points of ``/map``'s layout. A unit with no open
    road to the need gets an empty path (the page says the route is unknown)."""
    graph = board.graph
    layout = _layout(graph.open_graph())
    out = []
    for dispatch_id, d in sorted(board.dispatches.items()):
        if not sees_dispatch(principal, board, d):
            continue
        resource = board.resource(d.resource)
        need = board.needs.get(d.need)
        if resource is None or need is None:
            continue
        path = _path(graph, resource.location, need.need.location)
        out.append(
            {
                "dispatch": dispatch_id,
                "need": d.need,
                "resource": d.resource,
                "status": d.status.value,
                "path": [layout[n] for n in path if n in layout],
            }
        )
    return {"routes": out}


@lru_cache(maxsize=ROUTE_CACHE)
def _path(graph: RoadGraph, source: str, target: str) -> tuple[str, ...]:
    """The quickest way from ``source`` to ``target`` on ``graph``'s open roads (the graph is its version: a
    closure makes a new one, so a cached path never crosses a road closed since)."""
    import networkx as nx

    try:
        return tuple(nx.shortest_path(graph.networkx(), source, target, weight="seconds"))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return ()


@lru_cache(maxsize=16)
def _names(places: Gazetteer, graph: RoadGraph) -> dict[str, str]:
    """Every node's name, once per gazetteer (a map's, or with a roster's buildings: a new one when they change)."""
    return {n: places.name_of(n) for n in graph.nodes}


def _landmarks(places: Gazetteer, nodes: dict[str, tuple[float, float]]) -> list[dict[str, str]]:
    """The buildings and landmarks people find their way by, at their nodes (a building's units are inside it)."""
    wanted = (PlaceKind.BUILDING, PlaceKind.LANDMARK)
    return [
        {"name": p.name, "kind": p.kind.value, "node": p.node}
        for p in places.places
        if p.kind in wanted and p.node in nodes
    ]


def _places(board: BoardDep, layout: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    wanted = {r.location for r in board.resources.values()} | {r.need.location for r in board.needs.values()}
    return {n: layout[n] for n in sorted(wanted) if n in layout}


def tile_layer(url: str, attribution: str = "", subdomains: str = "abc") -> dict[str, str]:
    """The operator's base layer, checked: an http(s) URL with ``{z}``, ``{x}`` and ``{y}`` (and ``{s}`` for
    numbered or lettered hosts, one of ``subdomains`` each: 天地图's t0-t7, OSM's a-c), and the origin the page's
    policy lets images from (``{s}`` in a host name becomes a ``*`` label). Raises ``ValueError`` naming what is
    wrong."""
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or not sep or not host:
        raise ValueError(f"{url!r} is not an http(s) URL")
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
    if missing:
        raise ValueError(
            f"{url!r} lacks {', '.join(missing)} (e.g. https://tile.example.cn/{{z}}/{{x}}/{{y}}.png)"
        )
    labels = host.split(".")
    if any("{" in label for label in labels[1:]) or (len(labels) < 3 and "{" in labels[0]):
        raise ValueError(f"{url!r}: only the first label of the host may vary ({{s}}.example.cn)")
    if "{s}" in url and not subdomains.isalnum():
        raise ValueError(f"{url!r} has {{s}}: its subdomains must be letters or digits (got {subdomains!r})")
    origin_host = ".".join(["*", *labels[1:]]) if "{" in labels[0] else host
    return {
        "url": url,
        "attribution": attribution,
        "subdomains": subdomains,
        "origin": f"{scheme}://{origin_host}",
    }
