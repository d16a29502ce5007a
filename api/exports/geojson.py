"""The board as GeoJSON (RFC 7946): the open needs and the units as points, each dispatch of the current plan
(proposed or committed) as a line from the unit to the need. Positions are [longitude, latitude] in WGS 84.

Only an OpenStreetMap map has coordinates. On any other map the export is refused with a problem that says so,
rather than written with null geometries: a file that opens in a GIS and draws nothing looks like an empty
incident, which is worse than being told the map has no coordinates.
"""

from typing import Any

from api.exports.scope import asked, has_coordinates, lat_lon
from api.labels import PRIORITIES, PROGRESS, STATUSES, capability_name
from api.places import need_place, place_name
from engine.coordinator import Board, DispatchStatus, Rejected

GRID_MAP = (
    "地图没有经纬度坐标 (grid map): 只有 OpenStreetMap 地图可以导出 GeoJSON (the map has no coordinates)"
)


def _point(board: Board, node: str) -> dict[str, Any] | None:
    found = lat_lon(board, node)
    return None if found is None else {"type": "Point", "coordinates": [found[1], found[0]]}


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def feature_collection(board: Board) -> dict[str, Any]:
    """Needs, units and dispatches with a place on the map; a feature whose node is not on it is left out."""
    if not has_coordinates(board):
        raise Rejected("conflict", "map", GRID_MAP)
    assert board.community is not None
    features = []
    for record in sorted(board.open_needs(), key=lambda r: r.need.id):
        need = record.need
        point = _point(board, need.location)
        if point is not None:
            features.append(
                _feature(
                    point,
                    {
                        "kind": "need",
                        "kind_zh": "需求",
                        "id": need.id,
                        "capability": need.capability,
                        "capability_zh": capability_name(need.capability),
                        "quantity": need.quantity,
                        "priority": record.priority,
                        "priority_zh": PRIORITIES.get(record.priority, ""),
                        "status_zh": PROGRESS[record.status.value],
                        "place": need_place(board, need),
                        # A team need's companions, in words: "救援队员 ×4" ("" for most needs).
                        "team_zh": "、".join(
                            f"{capability_name(c)} ×{n}" for part, c, n in asked(need) if part
                        ),
                    },
                )
            )
    for _, unit in sorted(board.resources.items()):
        point = _point(board, unit.location)
        if point is not None:
            organisation = board.organisations.get(unit.organisation)
            features.append(
                _feature(
                    point,
                    {
                        "kind": "resource",
                        "kind_zh": "资源",
                        "id": unit.id,
                        "name": unit.name or capability_name(unit.capability),
                        "capability": unit.capability,
                        "capability_zh": capability_name(unit.capability),
                        "quantity": unit.quantity,
                        "status_zh": STATUSES[unit.status],
                        "organisation": unit.organisation,
                        "organisation_name": organisation.name if organisation is not None else "",
                        "place": place_name(board, unit.location),
                    },
                )
            )
    for _, d in sorted(board.dispatches.items()):
        sent = board.resource(d.resource)
        to = board.needs.get(d.need)
        if sent is None or to is None or not (d.committed or d.status is DispatchStatus.PROPOSED):
            continue
        start, end = lat_lon(board, sent.location), lat_lon(board, to.need.location)
        if start is None or end is None:
            continue
        features.append(
            _feature(
                # Two positions even when the unit is already where the need is: RFC 7946 asks for two or more.
                {"type": "LineString", "coordinates": [[start[1], start[0]], [end[1], end[0]]]},
                {
                    "kind": "dispatch",
                    "kind_zh": "派单",
                    "id": d.id,
                    "need": d.need,
                    "resource": d.resource,
                    "quantity": d.quantity,
                    "status": d.status.value,
                    "status_zh": PROGRESS[d.status.value],
                    "place": need_place(board, to.need),
                },
            )
        )
    return {"type": "FeatureCollection", "features": features}
