"""The community's roster, grids and buildings: kept by the street and the community head."""

from typing import Any

from fastapi import APIRouter

from api.access import Forbidden
from api.auth import Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.people_access import manages_people
from api.people_schemas import BuildingSave, GridSave, MemberSave
from engine.coordinator import Board
from engine.governance.commands import SaveBuilding, SaveGrid, SaveMember
from engine.governance.people import Building, Grid, Member
from engine.model.frozen import Frozen

router = APIRouter(prefix="/communities/{community}", tags=["people 人员与网格"])

NOT_ORGANISATIONS = "组织联络人看不到社区的人员名册 (organisations do not see the roster)"
ONLY_MANAGERS = "只有街道或社区书记可以维护人员、网格和楼栋 (only the street or the community head)"


def _reader(principal: PrincipalDep) -> None:
    if principal.role is Role.ORGANISATION:
        raise Forbidden(NOT_ORGANISATIONS)


def _manager(principal: PrincipalDep, board: Board) -> None:
    if not manages_people(principal, board):
        raise Forbidden(ONLY_MANAGERS)


def _listed(board: Board, principal: PrincipalDep, kind: str) -> list[dict[str, Any]]:
    _reader(principal)
    records: dict[str, Frozen] = getattr(board.ledger, kind)
    return [r.model_dump(mode="json") for _, r in sorted(records.items())]


async def _save(
    service: ServiceDep,
    principal: PrincipalDep,
    board: Board,
    idempotency: IdempotencyDep,
    command: SaveMember | SaveGrid | SaveBuilding,
    record: Frozen,
) -> dict[str, Any]:
    return await service.apply(
        board, command, principal, idempotency, lambda _: record.model_dump(mode="json")
    )


@router.get("/members")
def list_members(board: BoardDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return _listed(board, principal, "members")


@router.put("/members/{member}")
async def save_member(
    member: str,
    body: MemberSave,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    _manager(principal, board)
    saved = Member.model_validate({"id": member, **body.model_dump()})
    return await _save(service, principal, board, idempotency, SaveMember(member=saved), saved)


@router.get("/grids")
def list_grids(board: BoardDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return _listed(board, principal, "grids")


@router.put("/grids/{grid}")
async def save_grid(
    grid: str,
    body: GridSave,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    _manager(principal, board)
    saved = Grid.model_validate({"id": grid, **body.model_dump()})
    return await _save(service, principal, board, idempotency, SaveGrid(grid=saved), saved)


@router.get("/buildings")
def list_buildings(board: BoardDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return _listed(board, principal, "buildings")


@router.put("/buildings/{building}")
async def save_building(
    building: str,
    body: BuildingSave,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    _manager(principal, board)
    saved = Building.model_validate({"id": building, **body.model_dump()})
    return await _save(service, principal, board, idempotency, SaveBuilding(building=saved), saved)
