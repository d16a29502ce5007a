"""Buildings' QR links (楼栋二维码) for the residents' page: printed and stuck up in each building, replaced
when one is abused (the old link then says it was replaced)."""

from typing import Any

from fastapi import APIRouter, Request

from api.access import Forbidden
from api.appeal_access import handles_appeals
from api.appeal_codes import new_building_code
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.problems import NotFound
from api.qr import qr_svg
from api.schemas import Body, Id
from engine.coordinator import Board
from engine.governance.commands import IssueBuildingCodes
from engine.governance.ids import BuildingId

router = APIRouter(prefix="/communities/{community}/codes", tags=["appeals 居民诉求"])


class CodesIssue(Body):
    """Buildings to give a new link (replacing the one they have); none named: every building without one."""

    buildings: list[Id] | None = None


def resident_link(request: Request, code: str) -> str:
    return str(request.base_url).rstrip("/") + f"/r/{code}"


def _codes(board: Board, request: Request) -> list[dict[str, Any]]:
    ledger = board.ledger
    out = []
    for building in sorted(ledger.buildings.values(), key=lambda b: (b.grid, b.name, b.id)):
        code = ledger.codes.get(building.id)
        link = resident_link(request, code) if code else None
        out.append(
            {
                "building": building.id,
                "building_name": building.name,
                "grid": building.grid,
                "grid_name": ledger.grids[building.grid].name if building.grid in ledger.grids else "",
                "link": link,
                # Larger than a sign-in link's: it is printed and scanned from a wall.
                "qr": qr_svg(link, scale=6) if link else None,
            }
        )
    return out


def _handler(board: Board, principal: PrincipalDep) -> None:
    if not handles_appeals(principal, board):
        raise Forbidden("只有本社区干部或街道可以管理楼栋二维码 (the community's cadres or the street)")


@router.get("")
def list_codes(board: BoardDep, principal: PrincipalDep, request: Request) -> dict[str, Any]:
    _handler(board, principal)
    return {"codes": _codes(board, request)}


@router.post("")
async def issue_codes(
    body: CodesIssue,
    board: BoardDep,
    principal: PrincipalDep,
    service: ServiceDep,
    idempotency: IdempotencyDep,
    request: Request,
) -> dict[str, Any]:
    _handler(board, principal)
    ledger = board.ledger
    if body.buildings is None:
        wanted = [b for b in sorted(ledger.buildings) if b not in ledger.codes]
    else:
        for b in body.buildings:
            if b not in ledger.buildings:
                raise NotFound(f"楼栋 {b!r}")
        wanted = [BuildingId(b) for b in dict.fromkeys(body.buildings)]
    if not wanted:
        return {"codes": _codes(board, request)}
    codes = tuple((b, new_building_code()) for b in wanted)
    return await service.apply(
        board,
        IssueBuildingCodes(codes=codes),
        principal,
        idempotency,
        lambda b: {"codes": _codes(b, request)},
    )
