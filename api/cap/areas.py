"""Which communities a warning's areas cover: by polygon and circle where the community's map has places on
the Earth (an OSM map), by geocode through the operator's table of administrative codes (every map).

The table (``pingzhan serve --area-codes FILE``) is a CSV file with the header ``code,street,community,name``:
one row per street (community left empty: all its communities) or per community. A warning's geocode covers
every row whose code starts with it (a county's code covers its streets and communities); a code finer than
any row (a village inside a listed street) covers the smallest row holding it: the cadres there decide.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from api.cap.read import Area
from engine.coordinator import Board
from engine.model.ids import CommunityId, StreetId

EARTH_KM = 6371.0088
HEADER = ("code", "street", "community", "name")


class AreaCodesProblem(ValueError):
    pass


@dataclass(frozen=True)
class AreaCode:
    code: str
    street: StreetId
    community: CommunityId | None
    name: str


@dataclass(frozen=True)
class AreaCodes:
    rows: tuple[AreaCode, ...] = ()

    @classmethod
    def read(cls, path: Path) -> "AreaCodes":
        """The table in ``path``, or :class:`AreaCodesProblem` naming the file, line and field at fault."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise AreaCodesProblem(f"{path}: cannot be read: {exc}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, name: str) -> "AreaCodes":
        reader = csv.reader(io.StringIO(text))
        header = tuple(h.strip() for h in next(reader, ()))
        if header != HEADER:
            raise AreaCodesProblem(
                f"{name}:1: the header must be {','.join(HEADER)} (got {','.join(header)!r})"
            )
        rows: list[AreaCode] = []
        seen: set[str] = set()
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(HEADER):
                raise AreaCodesProblem(f"{name}:{line}: {len(HEADER)} cells expected (got {len(cells)})")
            code, street, community, label = (c.strip() for c in cells)
            if not code.isdigit():
                raise AreaCodesProblem(f"{name}:{line}: code must be digits (got {code!r})")
            if not street:
                raise AreaCodesProblem(f"{name}:{line}: street must be given (code {code!r})")
            if code in seen:
                raise AreaCodesProblem(f"{name}:{line}: code {code!r} is listed twice")
            seen.add(code)
            rows.append(
                AreaCode(code, StreetId(street), CommunityId(community) if community else None, label)
            )
        return cls(tuple(rows))

    def matching(self, value: str) -> list[AreaCode]:
        """The rows inside the code's area; if none, the smallest row whose area holds it."""
        inside = [r for r in self.rows if r.code.startswith(value)]
        if inside:
            return inside
        holding = [r for r in self.rows if value.startswith(r.code)]
        return [max(holding, key=lambda r: len(r.code))] if holding else []


def covered(areas: Sequence[Area], boards: Iterable[Board], codes: AreaCodes) -> dict[CommunityId, str]:
    """Each community covered, with why in plain words (多边形 / 圆形区域 / 区域编码 N)."""
    found: dict[CommunityId, str] = {}
    boards = [b for b in boards if b.community is not None and not b.is_street]
    for area in areas:
        for value in {v for _, v in area.geocodes if v}:
            for row in codes.matching(value):
                for board in boards:
                    assert board.community is not None
                    if board.community.street == row.street and row.community in (None, board.community.id):
                        found.setdefault(board.community.id, f"区域编码 {value}")
        for board in boards:
            assert board.community is not None
            if board.community.id in found or not (area.polygons or area.circles):
                continue
            why = _by_shape(area, board)
            if why:
                found[board.community.id] = why
    return found


def _by_shape(area: Area, board: Board) -> str:
    graph = board.base_graph
    if graph is None or not graph.has_places or not graph.num_nodes:
        return ""  # a grid map has no places on the Earth: only a geocode can reach it
    latlon = graph.places()
    lat, lon = latlon[:, 0], latlon[:, 1]
    for ring in area.polygons:
        polygon = shapely.Polygon([(x, y) for y, x in ring])
        if bool(np.any(shapely.intersects_xy(polygon, lon, lat))):
            return "多边形区域"
    for circle in area.circles:
        if bool(np.any(_distance_km(circle.lat, circle.lon, lat, lon) <= circle.radius_km)):
            return "圆形区域"
    return ""


def _distance_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine) from one point to many."""
    p0, l0, p, lam = np.radians(lat0), np.radians(lon0), np.radians(lat), np.radians(lon)
    h = np.sin((p - p0) / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin((lam - l0) / 2) ** 2
    result: np.ndarray = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return result
