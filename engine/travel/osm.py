"""Road networks read from OpenStreetMap extracts held in memory."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

import numpy as np
import osmium
from osmium.osm import TagList

from engine.travel.network import FloatArray, Network, build_network

# Planning speeds for an emergency vehicle in mixed urban traffic, by ``highway`` class. A class missing from
# the table is not a vehicle road (footway, cycleway, path, steps, construction, ...) and is left out.
DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 90.0,
        "motorway_link": 50.0,
        "trunk": 70.0,
        "trunk_link": 40.0,
        "primary": 50.0,
        "primary_link": 40.0,
        "secondary": 40.0,
        "secondary_link": 30.0,
        "tertiary": 35.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 25.0,
        "road": 25.0,
        "living_street": 10.0,
        "service": 15.0,
        "track": 15.0,
    }
)

EARTH_RADIUS_M = 6_371_008.8
_FORWARD_ONLY = frozenset({"yes", "true", "1"})
_BACKWARD_ONLY = frozenset({"-1", "reverse"})
# From the most specific to the most general: ``emergency=yes`` lets an ambulance through ``access=no``.
_ACCESS_KEYS = ("emergency", "motor_vehicle", "vehicle", "access")


def osm_network(data: bytes, *, fmt: Literal["pbf", "osm"], speeds_kmh: Mapping[str, float]) -> Network:
    """A directed network: an arc per drivable direction of each segment between consecutive way nodes."""
    if fmt not in ("pbf", "osm"):
        raise ValueError(f"OSM fmt {fmt!r}: must be 'pbf' or 'osm'")
    for highway, speed in speeds_kmh.items():
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
            raise ValueError(f"speeds_kmh[{highway!r}] {speed!r}: must be a positive number of km/h")
    index: dict[str, int] = {}
    latlon: list[tuple[float, float]] = []
    tails: list[int] = []
    heads: list[int] = []
    speeds_ms: list[float] = []
    directions: list[int] = []
    ways = (
        osmium.FileProcessor(osmium.io.FileBuffer(data, fmt), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in ways:
            # Nodes pass too: they feed the location cache, and some carry highway tags (traffic signals).
            if not isinstance(way, osmium.osm.Way):
                continue
            kmh = speeds_kmh.get(way.tags.get("highway") or "")
            if kmh is None or _barred(way.tags):
                continue
            direction = _direction(way.tags)
            for a, b in pairwise(way.nodes):
                # Extracts clip ways at their boundary: segments leaving the extract have no location.
                if a.ref == b.ref or not (a.location.valid() and b.location.valid()):
                    continue
                for ref, location in ((a.ref, a.location), (b.ref, b.location)):
                    if str(ref) not in index:
                        index[str(ref)] = len(latlon)
                        latlon.append((location.lat, location.lon))
                tails.append(index[str(a.ref)])
                heads.append(index[str(b.ref)])
                speeds_ms.append(kmh / 3.6)
                directions.append(direction)
    except RuntimeError as err:
        raise ValueError(f"OSM data ({fmt}, {len(data)} bytes): unreadable: {err}") from err
    if not tails:
        raise ValueError(f"OSM data ({fmt}, {len(data)} bytes): no way whose highway class is in speeds_kmh")
    coords = np.array(latlon, dtype=np.float64)
    tail, head = np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64)
    length_m = haversine_m(coords[tail], coords[head])
    # Rounded to the nearest second rather than up, so that many short segments do not add up to a bias.
    seconds = np.maximum(1, np.rint(length_m / np.array(speeds_ms))).astype(np.int64)
    way_direction = np.array(directions, dtype=np.int64)
    forward, backward = way_direction >= 0, way_direction <= 0
    return build_network(
        list(index),
        np.concatenate([tail[forward], head[backward]]),
        np.concatenate([head[forward], tail[backward]]),
        np.concatenate([seconds[forward], seconds[backward]]),
        directed=True,
        latlon=coords,
    )


def haversine_m(a: FloatArray, b: FloatArray) -> FloatArray:
    """Great-circle metres between rows of ``(lat, lon)`` degrees."""
    lat1, lon1, lat2, lon2 = (np.radians(column) for column in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    metres: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))
    return metres


def _barred(tags: TagList) -> bool:
    # A highway area (a square, a car park outline) has no direction of travel along its outline.
    if tags.get("area") == "yes":
        return True
    access = next((tags.get(key) for key in _ACCESS_KEYS if key in tags), None)
    return access == "no"


def _direction(tags: TagList) -> int:
    """+1 along the way only, -1 against it only, 0 both ways."""
    oneway = tags.get("oneway")
    if oneway is None:
        implied = tags.get("highway") == "motorway" or tags.get("junction") in ("roundabout", "circular")
        return 1 if implied else 0
    if oneway in _FORWARD_ONLY:
        return 1
    return -1 if oneway in _BACKWARD_ONLY else 0


@dataclass(frozen=True)
class OsmFeature:
    """A named or numbered building or amenity of an extract, at the middle of its outline."""

    osm_id: str
    name: str
    kind: Literal["building", "landmark"]
    lat: float
    lon: float
    street: str


@dataclass(frozen=True)
class OsmNames:
    """What people call the places of an extract: streets by the nodes they pass, buildings and amenities."""

    streets: tuple[tuple[str, tuple[str, ...]], ...]
    features: tuple[OsmFeature, ...]


def osm_names(data: bytes, *, fmt: Literal["pbf", "osm"]) -> OsmNames:
    """Named highways (one entry per way, in file order) and named or numbered buildings and amenities."""
    streets: list[tuple[str, tuple[str, ...]]] = []
    features: list[OsmFeature] = []
    objects = osmium.FileProcessor(
        osmium.io.FileBuffer(data, fmt), osmium.osm.NODE | osmium.osm.WAY
    ).with_locations()
    try:
        for item in objects:
            tags = item.tags
            name = _name(tags)
            if isinstance(item, osmium.osm.Way):
                if "highway" in tags and name:
                    streets.append((name, tuple(str(n.ref) for n in item.nodes)))
                    continue
                points = [(n.location.lat, n.location.lon) for n in item.nodes if n.location.valid()]
                feature_id = f"w{item.id}"
            elif isinstance(item, osmium.osm.Node):
                points = [(item.location.lat, item.location.lon)] if item.location.valid() else []
                feature_id = f"n{item.id}"
            else:
                continue
            kind = _feature_kind(tags)
            label = name or _house_number(tags)
            if kind is None or not label or not points:
                continue
            lat = sum(p[0] for p in points) / len(points)
            lon = sum(p[1] for p in points) / len(points)
            features.append(OsmFeature(feature_id, label, kind, lat, lon, tags.get("addr:street") or ""))
    except RuntimeError as err:
        raise ValueError(f"OSM data ({fmt}, {len(data)} bytes): unreadable: {err}") from err
    return OsmNames(tuple(streets), tuple(features))


def _name(tags: TagList) -> str:
    # A Chinese name first: the people using the console read Chinese.
    return (tags.get("name:zh") or tags.get("name") or "").strip()


def _feature_kind(tags: TagList) -> Literal["building", "landmark"] | None:
    if "amenity" in tags or "shop" in tags or "tourism" in tags:
        return "landmark"
    return "building" if "building" in tags else None


def _house_number(tags: TagList) -> str:
    number = (tags.get("addr:housenumber") or "").strip()
    street = (tags.get("addr:street") or "").strip()
    if not number:
        return ""
    if not street:
        return f"{number}号"
    # 河滨路12号, but Kirkkokatu 12: each street's own custom.
    return f"{street}{number}号" if _cjk(street[-1]) else f"{street} {number}"


def _cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"
