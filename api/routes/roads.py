"""Road closures and reopenings: the travel times every plan uses change with them."""

from typing import Any

from fastapi import APIRouter

from api.access import Forbidden, reports_needs
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.schemas import RoadChange, RoadClose
from engine.coordinator import CloseRoad, ReopenRoad

router = APIRouter(prefix="/communities/{community}/roads", tags=["roads 道路"])


@router.get("/closed")
def closed_roads(board: BoardDep) -> list[dict[str, str]]:
    return [{"from": u, "to": v} for u, v in sorted(board.graph.closures)]


async def _change(
    command: CloseRoad | ReopenRoad,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    # Grid workers see the roads first: they may report a closure as well as cadres and the street.
    if not reports_needs(principal, board):
        raise Forbidden("只有网格员、社区干部或街道可以报告道路 (grid workers, cadres or the street)")
    return await service.apply(
        board,
        command,
        principal,
        idempotency,
        lambda b: {"closed": [{"from": u, "to": v} for u, v in sorted(b.graph.closures)]},
    )


@router.post("/close")
async def close_road(
    body: RoadClose,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    return await _change(
        CloseRoad(source=body.source, target=body.target, one_way=body.one_way),
        board,
        service,
        principal,
        idempotency,
    )


@router.post("/reopen")
async def reopen_road(
    body: RoadChange,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    return await _change(
        ReopenRoad(source=body.source, target=body.target), board, service, principal, idempotency
    )
