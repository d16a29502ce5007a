"""Places people name: buildings, units, landmarks, streets and crossings, each snapped to a road node.

A node id (``g6_2``, an OSM node number) is how the engine routes; a person says 7号楼3单元 or 菜市场. The
gazetteer turns one into the other both ways: ``name_of`` names any node, ``match`` finds the place a typed
address means, ``search`` lists places for a picker. The map spec lists the community's own places; a grid
may name its streets; an OSM extract brings its named streets, buildings and amenities (read by the caller).
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator
from scipy.sparse.csgraph import dijkstra

from engine.model.frozen import Frozen
from engine.model.ids import NodeId
from engine.travel.graph import RoadGraph
from engine.travel.network import FloatArray, IntArray
from engine.travel.osm import OsmNames

# A node on a street this close (seconds of travel, either way) to a named place also says "<place>附近".
NEAR_S = 300
# A grid's node ids, row then column (engine/travel/grid.py).
_GRID_NODE = re.compile(r"^g(\d+)_(\d+)$")


class PlaceKind(StrEnum):
    BUILDING = "building"
    UNIT = "unit"
    LANDMARK = "landmark"
    STREET = "street"
    CROSSING = "crossing"


@dataclass(frozen=True)
class Place:
    """A place with the name people use, at the road node travel starts and ends at."""

    id: str
    name: str
    kind: PlaceKind
    node: NodeId
    lat: float | None = None
    lon: float | None = None
    street: str = ""


# -- the map spec's part ---------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=80)]


class UnitSpec(Frozen):
    """A unit (单元) of a building: ``3`` or ``3单元``; at the building's node unless it has its own door."""

    name: Name
    node: NodeId | None = Field(default=None, min_length=1)
    # Door numbers (门牌/室) people give, e.g. "302"; each is a place of its own.
    doors: tuple[Name, ...] = ()


class PlaceSpec(Frozen):
    """A building or landmark of the community: at a road ``node``, or at ``lat``/``lon`` on an OSM map."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: Name
    kind: PlaceKind = PlaceKind.BUILDING
    node: NodeId | None = Field(default=None, min_length=1)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    street: str = Field(default="", max_length=80)
    units: tuple[UnitSpec, ...] = ()

    @model_validator(mode="after")
    def _one_position(self) -> "PlaceSpec":
        if self.kind not in (PlaceKind.BUILDING, PlaceKind.LANDMARK):
            raise ValueError(f"place {self.name}: kind {self.kind.value!r} must be 'building' or 'landmark'")
        has_point = self.lat is not None or self.lon is not None
        if (self.node is None) == (not has_point) or (has_point and (self.lat is None or self.lon is None)):
            raise ValueError(f"place {self.name}: give either node or both lat and lon")
        if self.units and self.kind != PlaceKind.BUILDING:
            raise ValueError(f"place {self.name}: only a building has units")
        return self


# -- the gazetteer ---------------------------------------------------------------------------------


class Gazetteer:
    """The named places of one map. Build with ``build``; it never changes."""

    def __init__(
        self,
        graph: RoadGraph,
        places: Sequence[Place],
        *,
        grid_streets: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
        street_ways: Sequence[tuple[str, list[NodeId]]] = (),
    ) -> None:
        self._graph = graph.open_graph()
        self.places: tuple[Place, ...] = tuple(places)
        self._by_id = {p.id: p for p in self.places}
        self._keys = [(key(p.name), p) for p in self.places]
        self._at: dict[NodeId, Place] = {}
        for place in sorted(self.places, key=lambda p: _RANK[p.kind]):
            if place.kind != PlaceKind.STREET:
                self._at.setdefault(place.node, place)
        self._grid_streets = grid_streets
        # An extract's named roads, one per way, and the names of the roads through each node.
        self._street_ways = list(street_ways)
        self._node_streets: dict[NodeId, tuple[str, ...]] = {}
        for name, along in self._street_ways:
            for node in along:
                if name not in self._node_streets.get(node, ()):
                    self._node_streets[node] = (*self._node_streets.get(node, ()), name)
        self._streets = {p.name: p for p in self.places if p.kind == PlaceKind.STREET}

    @classmethod
    def build(
        cls,
        graph: RoadGraph,
        specs: Iterable[PlaceSpec] = (),
        *,
        grid: tuple[int, int] | None = None,
        row_streets: Sequence[str] = (),
        col_streets: Sequence[str] = (),
        osm: OsmNames | None = None,
    ) -> "Gazetteer":
        """The places of ``specs``, plus a grid's ``rows x cols`` streets, plus an extract's names.

        Raises ``ValueError`` naming the place for a node not on the map, a repeated id or name, or a name
        that is a node id (a person would read it as the code it is)."""
        places: list[Place] = []
        for spec in specs:
            places.extend(_spec_places(graph, spec))
        grid_streets = None
        if grid is not None:
            rows, cols = grid
            for what, given, count in (
                ("row_streets", row_streets, rows),
                ("col_streets", col_streets, cols),
            ):
                if len(given) > count:
                    raise ValueError(f"grid {what}: {len(given)} names for {count} streets")
            grid_streets = (
                tuple(row_streets) + tuple(f"横{r + 1}路" for r in range(len(row_streets), rows)),
                tuple(col_streets) + tuple(f"纵{c + 1}路" for c in range(len(col_streets), cols)),
            )
            places.extend(
                Place(f"row-{r}", name, PlaceKind.STREET, NodeId(f"g{r}_{cols // 2}"))
                for r, name in enumerate(grid_streets[0])
            )
            places.extend(
                Place(f"col-{c}", name, PlaceKind.STREET, NodeId(f"g{rows // 2}_{c}"))
                for c, name in enumerate(grid_streets[1])
            )
        street_ways: list[tuple[str, list[NodeId]]] = []
        if osm is not None:
            street_ways = [
                (name, [NodeId(n) for n in nodes if graph.has_node(n)]) for name, nodes in osm.streets
            ]
            street_ways = [(name, along) for name, along in street_ways if along]
            places.extend(_osm_places(graph, osm, street_ways, {key(p.name) for p in places}))
        _check_unique(graph, places)
        return cls(graph, places, grid_streets=grid_streets, street_ways=street_ways)

    def with_places(self, extra: Iterable[Place]) -> "Gazetteer":
        """This gazetteer and ``extra`` places (buildings kept elsewhere, e.g. the community's roster), less
        those off the map or named like a place it has: the map's own places win."""
        ids, keys = {p.id for p in self.places}, {k for k, _ in self._keys}
        added: list[Place] = []
        for place in extra:
            place_key = key(place.name)
            if place.id in ids or place_key in keys or not place_key:
                continue
            if not self._graph.has_node(place.node) or self._graph.has_node(place.name):
                continue
            ids.add(place.id)
            keys.add(place_key)
            added.append(place)
        if not added:
            return self
        return Gazetteer(
            self._graph,
            [*self.places, *added],
            grid_streets=self._grid_streets,
            street_ways=self._street_ways,
        )

    def place(self, place_id: str) -> Place | None:
        return self._by_id.get(place_id)

    def name_of(self, node: str) -> str:
        """What to call ``node``: its place, a crossing, its street and "<place>附近"; never the node id."""
        at = self._at.get(NodeId(node))
        if at is not None:
            return at.name
        crossing = self._crossing_at(NodeId(node))
        if crossing is not None:
            return crossing.name
        if not self._graph.has_node(node):
            return "地图外的地点"
        near, seconds = self._nearest(NodeId(node))
        streets = self._node_streets.get(NodeId(node), ())
        if streets:
            return f"{streets[0]}，{near.name}附近" if near is not None and seconds <= NEAR_S else streets[0]
        if near is not None:
            return f"{near.name}附近"
        return f"路口{self._graph.index_of(node) + 1}"

    def search(self, text: str, limit: int = 10) -> list[Place]:
        """Places whose name contains ``text`` (as ``match`` reads it), the closest fits first."""
        wanted = key(text)
        found: list[tuple[tuple[int, int, int, str], Place]] = []
        for place_key, place in self._keys:
            if wanted in place_key or text.strip().casefold() in place.name.casefold():
                starts = 0 if place_key.startswith(wanted) else 1
                found.append(((starts, _RANK[place.kind], len(place_key), place.name), place))
        found.sort(key=lambda item: item[0])
        places = [place for _, place in found]
        matched = self.match(text) if wanted else None
        if matched is not None and matched not in places:
            places.insert(0, matched)
        return places[: max(0, limit)]

    def match(self, address: str) -> Place | None:
        """The place a typed address means, or None: the longest building, unit or landmark name in it, else
        the crossing of two streets it names, else a street. 7号楼3单元302室, ７栋三单元, 7-3-302 all read alike."""
        text = key(address)
        if not text:
            return None
        best: Place | None = None
        best_len = 0
        streets: list[Place] = []
        for place_key, place in self._keys:
            if place_key == text:
                return place
            if not _contains(text, place_key):
                continue
            if place.kind == PlaceKind.STREET:
                streets.append(place)
            elif len(place_key) > best_len:
                best, best_len = place, len(place_key)
        if best is not None:
            return best
        for i, first in enumerate(streets):
            for second in streets[i + 1 :]:
                crossing = self._crossing_of(first.name, second.name)
                if crossing is not None:
                    return crossing
        return max(streets, key=lambda p: len(key(p.name)), default=None)

    def streets(self) -> list[tuple[str, list[NodeId]]]:
        """Each street's name and the road nodes along it, in order (one entry per OSM way), for drawing."""
        if self._grid_streets is not None:
            rows, cols = self._grid_streets
            along = [(name, [NodeId(f"g{r}_{c}") for c in range(len(cols))]) for r, name in enumerate(rows)]
            return along + [
                (name, [NodeId(f"g{r}_{c}") for r in range(len(rows))]) for c, name in enumerate(cols)
            ]
        return list(self._street_ways)

    # -- inside --------------------------------------------------------------------------------------

    def _crossing_at(self, node: NodeId) -> Place | None:
        if self._grid_streets is not None:
            found = _GRID_NODE.match(node)
            rows, cols = self._grid_streets
            if found is None or int(found[1]) >= len(rows) or int(found[2]) >= len(cols):
                return None
            r, c = int(found[1]), int(found[2])
            return Place(
                f"x-{r}-{c}", f"{rows[r]}与{cols[c]}交叉口", PlaceKind.CROSSING, node, street=rows[r]
            )
        names = self._node_streets.get(node, ())
        if len(names) < 2:
            return None
        return Place(f"x-{node}", f"{names[0]}与{names[1]}交叉口", PlaceKind.CROSSING, node, street=names[0])

    def _crossing_of(self, first: str, second: str) -> Place | None:
        if self._grid_streets is not None:
            rows, cols = self._grid_streets
            if first in cols and second in rows:
                first, second = second, first
            if first in rows and second in cols:
                return self._crossing_at(NodeId(f"g{rows.index(first)}_{cols.index(second)}"))
            return None
        for node, names in sorted(self._node_streets.items()):
            if first in names and second in names:
                crossing = self._crossing_at(node)
                assert crossing is not None
                return crossing
        return None

    def _nearest(self, node: NodeId) -> tuple[Place | None, float]:
        nearest, seconds = self._near
        index = self._graph.index_of(node)
        if nearest[index] < 0:
            return None, float("inf")
        return self._at[self._graph.nodes[int(nearest[index])]], float(seconds[index])

    @cached_property
    def _near(self) -> tuple[IntArray, FloatArray]:
        """For every node, the named place's node closest by travel either way (-1: none), and its seconds."""
        sources = sorted(self._graph.index_of(n) for n in self._at if self._graph.has_node(n))
        if not sources:
            n = self._graph.num_nodes
            return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
        csr = self._graph.csr()
        seconds, _, nearest = dijkstra(
            csr.maximum(csr.T), indices=sources, min_only=True, return_predecessors=True
        )
        return np.asarray(nearest, dtype=np.int64), np.asarray(seconds, dtype=np.float64)


# The order in which places at one node name it, and in which search lists places of equal fit.
_RANK = {
    PlaceKind.BUILDING: 0,
    PlaceKind.LANDMARK: 1,
    PlaceKind.UNIT: 2,
    PlaceKind.CROSSING: 3,
    PlaceKind.STREET: 4,
}

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?=号|栋|幢|座|单元|室)")
_BUILDING = re.compile(r"(\d+)(?:号楼|号栋|号幢|栋楼|幢楼|栋|幢|座|#)")
_NUMBER_BEFORE_UNIT = re.compile(r"(\d+)号(?=\d+单元)")
_DASHED = re.compile(r"(\d+)-(\d+)-(\d+)")
_DOOR = re.compile(r"(\d+)(?:室|号房|户)")
# Spaces and punctuation between two numbers keep them apart (Kangaskatu 12, 2. kerros is not house 122).
_BETWEEN_NUMBERS = re.compile(r"(?<=\d)[\s,，.。·、/]+(?=\d)")
_DROPPED = re.compile(r"[\s,，.。·、()（）\[\]【】\"'“”‘’/]+")


def key(text: str) -> str:
    """A typed place as comparable text: half-width digits, 七号楼 → 7栋, 3单元, 302室 → 302, no spaces."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = _CN_NUMBER.sub(lambda m: str(_chinese_number(m[0])), text)
    text = _DASHED.sub(r"\1栋\2单元\3", text)
    text = _NUMBER_BEFORE_UNIT.sub(r"\1栋", text)
    text = _BUILDING.sub(r"\1栋", text)
    text = _DOOR.sub(r"\1", text)
    # Again: dropping a space can put a letter next to an accent that combines with it.
    return unicodedata.normalize("NFKC", _DROPPED.sub("", _BETWEEN_NUMBERS.sub("|", text)))


def _chinese_number(text: str) -> int:
    """一 .. 九十九, and digit by digit (三零二 → 302)."""
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens[-1], 1) if tens else 1) * 10 + (_CN_DIGITS[ones[0]] if ones else 0)


def _contains(text: str, place_key: str) -> bool:
    """``place_key`` in ``text``, not as part of a longer number (7栋 is not in 17栋)."""
    start = text.find(place_key)
    while start >= 0:
        end = start + len(place_key)
        digit_before = start > 0 and text[start - 1].isdigit() and place_key[0].isdigit()
        digit_after = end < len(text) and text[end].isdigit() and place_key[-1].isdigit()
        if not (digit_before or digit_after):
            return True
        start = text.find(place_key, start + 1)
    return False


def _spec_places(graph: RoadGraph, spec: PlaceSpec) -> list[Place]:
    if spec.node is not None:
        if not graph.has_node(spec.node):
            raise ValueError(f"place {spec.id} ({spec.name}): node {spec.node!r} is not on the map")
        node, lat, lon = spec.node, None, None
    else:
        assert spec.lat is not None and spec.lon is not None
        try:
            node = graph.nearest_node(spec.lat, spec.lon)
        except ValueError:
            raise ValueError(
                f"place {spec.id} ({spec.name}): lat/lon given but this map has no coordinates; give node"
            ) from None
        lat, lon = spec.lat, spec.lon
    places = [Place(spec.id, spec.name, spec.kind, node, lat, lon, spec.street)]
    for unit in spec.units:
        unit_node = unit.node or node
        if not graph.has_node(unit_node):
            raise ValueError(
                f"place {spec.id} ({spec.name}) unit {unit.name}: node {unit_node!r} is not on the map"
            )
        unit_name = f"{unit.name}单元" if unit.name.isdigit() else unit.name
        unit_id = f"{spec.id}-{unit.name}"
        places.append(
            Place(unit_id, f"{spec.name}{unit_name}", PlaceKind.UNIT, unit_node, lat, lon, spec.street)
        )
        places.extend(
            Place(
                f"{unit_id}-{door}",
                f"{spec.name}{unit_name}{door}室",
                PlaceKind.UNIT,
                unit_node,
                lat,
                lon,
                spec.street,
            )
            for door in unit.doors
        )
    return places


def _osm_places(
    graph: RoadGraph, osm: OsmNames, street_ways: list[tuple[str, list[NodeId]]], taken: set[str]
) -> list[Place]:
    places: list[Place] = []
    on_map: dict[str, list[NodeId]] = {}
    street_at = {node: name for name, along in street_ways for node in along}
    for name, along in street_ways:
        if len(along) > len(on_map.get(name, [])):
            on_map[name] = along
    for name, along in sorted(on_map.items()):
        if key(name) in taken or graph.has_node(name) or not key(name):
            continue
        taken.add(key(name))
        places.append(Place(f"street:{name}", name, PlaceKind.STREET, along[len(along) // 2], street=name))
    for feature in osm.features:
        name = feature.name
        if graph.has_node(name) or not key(name):
            continue
        # Two shops of one chain: told apart by their street, then by a number.
        if key(name) in taken and feature.street:
            name = f"{name}（{feature.street}）"
        suffix = 2
        while key(name) in taken:
            name, suffix = f"{feature.name}（{suffix}）", suffix + 1
        taken.add(key(name))
        node = graph.nearest_node(feature.lat, feature.lon)
        places.append(
            Place(
                f"osm:{feature.osm_id}",
                name,
                PlaceKind(feature.kind),
                node,
                feature.lat,
                feature.lon,
                feature.street or street_at.get(node, ""),
            )
        )
    return places


def _check_unique(graph: RoadGraph, places: list[Place]) -> None:
    ids: set[str] = set()
    keys: dict[str, str] = {}
    for place in places:
        if place.id in ids:
            raise ValueError(f"place {place.id} ({place.name}): the id is used twice")
        ids.add(place.id)
        if graph.has_node(place.name):
            raise ValueError(
                f"place {place.id}: name {place.name!r} is a map node id; give the name people use"
            )
        place_key = key(place.name)
        if not place_key:
            raise ValueError(f"place {place.id}: name {place.name!r} has no letters or digits to search by")
        if place_key in keys:
            raise ValueError(
                f"place {place.id} ({place.name}): reads the same as place {keys[place_key]!r}; names must differ"
            )
        keys[place_key] = place.name
