"""What every export reads from a board: the incident it is about, where a map node is on the Earth, and the
incident and the community in the words people use."""

from api.labels import INCIDENT_KINDS
from api.problems import NotFound
from engine.coordinator import Board, Incident, Rejected
from engine.model import Need


def open_incident(board: Board, incident: str) -> Incident:
    """``incident`` when it is the board's open one: the board holds the needs and dispatches of the incident
    under way only, so a closed incident has nothing left to export."""
    if board.incident is not None and board.incident.id == incident:
        return board.incident
    if any(i.id == incident for i in board.incidents):
        raise Rejected(
            "conflict",
            "incident",
            f"应急事件 {incident!r} 已结束，只能导出进行中的事件 (incident {incident!r} is closed: "
            "only the open incident's needs and dispatches can be exported)",
        )
    raise NotFound(f"应急事件 {incident!r}")


def has_coordinates(board: Board) -> bool:
    """Only a map read from OpenStreetMap places its nodes on the Earth; a grid or a hand-drawn graph does not."""
    return board.base_graph is not None and board.base_graph.has_places


def lat_lon(board: Board, node: str) -> tuple[float, float] | None:
    """``(lat, lon)`` of ``node`` on an OpenStreetMap map, rounded to about 10 cm; None on any other map or for a
    node the map does not have."""
    if not has_coordinates(board):
        return None
    assert board.base_graph is not None
    try:
        lat, lon = board.base_graph.location(node)
    except ValueError:
        return None
    return round(lat, 6), round(lon, 6)


def incident_words(incident: Incident) -> str:
    """ "洪涝 2级响应 (flood, level 2)", with the drill said first when it is one."""
    kind = INCIDENT_KINDS.get(incident.kind, incident.kind)
    said = f"{kind} {incident.level}级响应 ({incident.kind}, level {incident.level})"
    return f"演练 EXERCISE · {said}" if incident.exercise else said


def community_words(board: Board) -> str:
    """ "河西社区 (c1) · 街道 s1"."""
    assert board.community is not None
    c = board.community
    name = f"{c.name} ({c.id})" if c.name else c.id
    return f"{name} · 街道 {c.street}"


def asked(need: Need) -> list[tuple[str | None, str, int]]:
    """What ``need`` asks for, as ``(part, capability, units)``: its own units (part None), then each part of a
    team need, ``per_unit`` of it with every unit."""
    own: list[tuple[str | None, str, int]] = [(None, need.capability, need.quantity)]
    return own + [(p.capability, p.capability, p.per_unit * need.quantity) for p in need.team]
