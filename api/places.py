"""A community's places (engine/travel/places.py): its gazetteer, built once per map, and the names people use
put next to every map node an answer carries (``location`` → ``place``), so that no node id reaches a person."""

import logging
from collections import OrderedDict
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

from engine.coordinator import Board, Rejected
from engine.governance.people import Building
from engine.matching.document import Travel
from engine.model import Need
from engine.travel import RoadGraph
from engine.travel.places import Gazetteer, Place, PlaceKind

log = logging.getLogger("pingzhan.places")
# Boards come and go with their maps; a handful of maps are in use at once.
KEEP = 32
_kept: "OrderedDict[int, tuple[Travel, RoadGraph, Gazetteer]]" = OrderedDict()
_with_roster: "OrderedDict[int, tuple[Gazetteer, tuple[Building, ...], Gazetteer]]" = OrderedDict()

T = TypeVar("T")


@runtime_checkable
class OsmSource(Protocol):
    """Who reads a map's OSM extract (api/service.py FileMaps): the one place map files are read."""

    def osm_data(self, spec: Travel) -> bytes | None: ...


def gazetteer(spec: Travel, graph: RoadGraph, source: OsmSource | None) -> Gazetteer:
    """The places of ``spec`` on its road ``graph``, kept while the map is in use."""
    kept = _kept.get(id(spec))
    if kept is not None and kept[0] is spec and kept[1] is graph:
        _kept.move_to_end(id(spec))
        return kept[2]
    try:
        # A map loader that cannot read files: the spec's own places, the extract's names left out.
        built = spec.gazetteer(graph, source.osm_data(spec) if source is not None else None)
    except (OSError, ValueError, RuntimeError) as exc:
        # The extract gone or unreadable since its roads were read: names are no reason to fail a change or a
        # read (the spec's own places were checked when the community was registered).
        log.warning("map %s: the extract's names are left out: %s", spec.osm.path if spec.osm else "", exc)
        built = spec.gazetteer(graph)
    # The spec is held with its gazetteer, so its id cannot be reused by another while kept.
    _kept[id(spec)] = (spec, graph, built)
    while len(_kept) > KEEP:
        _kept.popitem(last=False)
    return built


def places_of(board: Board) -> Gazetteer | None:
    """The board's gazetteer with the buildings of its roster (api/routes/people.py); None before its community
    (and map) is registered."""
    if board.map is None or board.base_graph is None:
        return None
    source = board.maps if isinstance(board.maps, OsmSource) else None
    base = gazetteer(board.map, board.base_graph, source)
    buildings = tuple(board.ledger.buildings.values())
    if not buildings:
        return base
    kept = _with_roster.get(id(base))
    if kept is not None and kept[0] is base and kept[1] == buildings:
        return kept[2]
    built = base.with_places(
        Place(f"building:{b.id}", b.name, PlaceKind.BUILDING, b.location) for b in buildings
    )
    _with_roster[id(base)] = (base, buildings, built)
    while len(_with_roster) > KEEP:
        _with_roster.popitem(last=False)
    return built


class Located(NamedTuple):
    node: str
    # What the person typed, kept as a note ("" when they picked from the list or tapped the map).
    address: str
    # The place chosen or matched ("" for a map tap).
    place_id: str


def locate(board: Board, location: str | None, place: str | None, address: str | None) -> Located:
    """Where a body says a need or a unit is: ``place`` (a place id) first, then ``location`` (a tap on the map,
    the typed address kept as its note), then ``address`` matched to a known place; an address that matches
    none needs the tap."""
    places = places_of(board)
    typed = (address or "").strip()
    if place:
        found = places.place(place) if places is not None else None
        if found is None:
            raise Rejected(
                "invalid", "place", f"{place!r}: 本社区没有这个地点 (no such place in this community)"
            )
        return Located(found.node, typed, found.id)
    if location:
        return Located(location, typed, "")
    if not typed:
        raise Rejected(
            "invalid",
            "location",
            "请选择地点、输入地址或在地图上点选 (give a place, an address or a map location)",
        )
    found = places.match(typed) if places is not None else None
    if found is None:
        raise Rejected(
            "invalid",
            "address",
            f"{typed!r}: 找不到这个地址，请在地图上点选地点 (no known place matches it: tap the place on the map)",
        )
    return Located(found.node, typed, found.id)


def place_name(board: Board, node: str, place_id: str = "") -> str:
    """What people call ``node`` on ``board``'s map: the place chosen for it (``place_id``) while it is there."""
    places = places_of(board)
    return _called(places, node, place_id) if places is not None else ""


def need_place(board: Board, need: Need) -> str:
    return place_name(board, need.location, need.place_id)


def _called(places: Gazetteer, node: str, place_id: object) -> str:
    chosen = places.place(place_id) if isinstance(place_id, str) and place_id else None
    return chosen.name if chosen is not None and chosen.node == node else places.name_of(node)


def place_json(place: Place) -> dict[str, Any]:
    return {
        "id": place.id,
        "name": place.name,
        "kind": place.kind.value,
        "node": place.node,
        "street": place.street,
    }


def named(board: Board, data: T) -> T:
    """``data`` (JSON data) with ``place`` set beside every ``location``, and on every dispatch or assignment
    (a dict naming a ``need`` and a ``resource``) the place of its need: changed in place, and returned."""
    places = places_of(board)
    if places is not None:
        _name(board, places, data)
    return data


def _name(board: Board, places: Gazetteer, node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _name(board, places, item)
        return
    if not isinstance(node, dict):
        return
    location = node.get("location")
    if isinstance(location, str) and location:
        node["place"] = _called(places, location, node.get("place_id"))
    elif isinstance(node.get("need"), str) and "resource" in node and "place" not in node:
        record = board.needs.get(node["need"])
        if record is not None:
            node["place"] = _called(places, record.need.location, record.need.place_id)
    for value in node.values():
        if isinstance(value, dict | list):
            _name(board, places, value)
