"""Incident mode: trigger it (kind, level), change the level, close it."""

from typing import Any

from fastapi import APIRouter, Response

from api.access import Forbidden, manages_community
from api.auth import Principal
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.ids import next_id
from api.problems import NotFound
from api.schemas import IncidentCreate, LevelChange
from api.service import Idempotency, Service
from engine.coordinator import (
    Board,
    ChangeLevel,
    CloseIncident,
    Command,
    IncidentId,
    Rejected,
    TriggerIncident,
)
from engine.coordinator.board import incident_json

router = APIRouter(prefix="/communities/{community}/incidents", tags=["incidents 应急事件"])


def _all(board: Board) -> list[dict[str, Any]]:
    found = [incident_json(i) for i in board.incidents]
    if board.incident is not None:
        found.append(incident_json(board.incident))
    return found


def _find(board: Board, incident: str) -> dict[str, Any]:
    for item in _all(board):
        if item["id"] == incident:
            return item
    raise NotFound(f"应急事件 {incident!r}")


@router.get("")
def list_incidents(board: BoardDep) -> list[dict[str, Any]]:
    return _all(board)


@router.get("/{incident}")
def get_incident(incident: str, board: BoardDep) -> dict[str, Any]:
    return _find(board, incident)


@router.post("", status_code=201)
async def trigger_incident(
    body: IncidentCreate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    """Switch the community to incident mode: the profile's incident rules and incident-only resources apply."""
    _may_run(principal, board)
    assert board.community is not None
    made: list[IncidentId] = []

    def trigger(now: Board) -> TriggerIncident:
        """Under the service's lock: the id is the next one free in this community as it is now."""
        assert now.community is not None
        used = {i.id for i in (*now.incidents, now.incident) if i is not None}
        made.append(IncidentId(body.id or next_id(now.community.id, "i", used)))
        return TriggerIncident(incident=made[-1], kind=body.kind, level=body.level, exercise=body.exercise)

    code, result = await service.execute(
        board.community.id, trigger, principal, lambda b, _: (201, _find(b, made[-1])), idempotency
    )
    response.status_code = code
    return result  # type: ignore[no-any-return]


@router.post("/{incident}/level")
async def change_level(
    incident: str,
    body: LevelChange,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    return await _act(incident, ChangeLevel(level=body.level), board, service, principal, idempotency)


@router.post("/{incident}/close")
async def close_incident(
    incident: str, board: BoardDep, service: ServiceDep, principal: PrincipalDep, idempotency: IdempotencyDep
) -> dict[str, Any]:
    return await _act(incident, CloseIncident(), board, service, principal, idempotency)


def _may_run(principal: PrincipalDep, board: Board) -> None:
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以启动或结束应急 (only the community's cadres or the street)")


async def _act(
    incident: str,
    command: Command,
    board: Board,
    service: Service,
    principal: Principal,
    idempotency: Idempotency | None,
) -> dict[str, Any]:
    _find(board, incident)
    _may_run(principal, board)
    if board.incident is None or board.incident.id != incident:
        raise Rejected("conflict", "incident", f"incident {incident!r} is not the open one")
    return await service.apply(board, command, principal, idempotency, lambda b: _find(b, incident))
