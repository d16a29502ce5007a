"""Households by address and vulnerability tags; names and phones optional and masked."""

from typing import Any

from fastapi import APIRouter

from api.access import Forbidden
from api.auth import Principal, Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.people_access import edits_household, sees_contact, sees_household
from api.people_schemas import HouseholdSave
from api.places import place_name
from api.problems import NotFound
from engine.coordinator import Board
from engine.governance.commands import RemoveHousehold, SaveHousehold
from engine.governance.ids import HouseholdId
from engine.governance.people import Household
from engine.governance.views import household_json

router = APIRouter(prefix="/communities/{community}/households", tags=["households 住户"])

NOT_ORGANISATIONS = "组织联络人看不到住户信息 (organisations do not see households)"
ONLY_KEEPERS = "只有本社区干部、街道或本网格网格员可以维护住户 (cadres, the street or the grid's worker)"


def household_public(p: Principal, board: Board, h: Household) -> dict[str, Any]:
    building = board.ledger.buildings.get(h.building)
    # Where responders go: the household's building, by the name people use for that place.
    place = place_name(board, building.location) if building is not None else ""
    return {**household_json(h, board.ledger, contact=sees_contact(p, board, h)), "place": place}


def _visible(board: Board, p: Principal, household: str) -> Household:
    if p.role is Role.ORGANISATION:
        raise Forbidden(NOT_ORGANISATIONS)
    h = board.ledger.households.get(HouseholdId(household))
    if h is None or not sees_household(p, board, h):
        raise NotFound(f"住户 {household!r}")
    return h


@router.get("")
def list_households(board: BoardDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    if principal.role is Role.ORGANISATION:
        raise Forbidden(NOT_ORGANISATIONS)
    ledger = board.ledger
    rows = [h for h in ledger.households.values() if sees_household(principal, board, h)]
    rows.sort(key=lambda h: (ledger.grid_of(h) or "", h.building, h.address, h.id))
    return [household_public(principal, board, h) for h in rows]


@router.get("/{household}")
def get_household(household: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    return household_public(principal, board, _visible(board, principal, household))


@router.put("/{household}")
async def save_household(
    household: str,
    body: HouseholdSave,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    if principal.role is Role.ORGANISATION:
        raise Forbidden(NOT_ORGANISATIONS)
    saved = Household.model_validate({"id": household, **body.model_dump()})
    old = board.ledger.households.get(HouseholdId(household))
    # A place the caller cannot see is not found, whether or not a household is there: a grid worker gets the
    # same answer for another grid's household as for an id nobody uses, and so learns nothing of it.
    if not sees_household(principal, board, old if old is not None else saved):
        raise NotFound(f"住户 {household!r}")
    # Both where it was and where it goes must be the editor's (a grid worker cannot take one away).
    if not edits_household(principal, board, saved) or (
        old is not None and not edits_household(principal, board, old)
    ):
        raise Forbidden(ONLY_KEEPERS)
    return await service.apply(
        board,
        SaveHousehold(household=saved),
        principal,
        idempotency,
        lambda b: household_public(principal, b, b.ledger.households[saved.id]),
    )


@router.delete("/{household}")
async def remove_household(
    household: str, board: BoardDep, service: ServiceDep, principal: PrincipalDep, idempotency: IdempotencyDep
) -> dict[str, Any]:
    h = _visible(board, principal, household)
    if not edits_household(principal, board, h):
        raise Forbidden(ONLY_KEEPERS)
    return await service.apply(
        board, RemoveHousehold(household=h.id), principal, idempotency, lambda _: {"removed": h.id}
    )
