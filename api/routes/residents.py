"""The residents' own way in: a building's link opens a page (no account) where they send an appeal, get a
receipt, follow what became of it, and rate it once it is done. Nothing here lists appeals: a resident reads
only the one whose receipt they hold."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from api.appeal_codes import new_receipt
from api.appeal_limits import AppealLimits
from api.appeal_schemas import AppealCreate, RatingCreate
from api.auth import Principal, Role
from api.deps import ServiceDep, idempotency_for
from api.photos import RESIDENT_MAX_BYTES, decode
from api.problems import NotFound
from api.service import Service
from api.throttle import address_of
from engine.coordinator import Board
from engine.governance.appeals import Appeal, AppealKind, Urgency
from engine.governance.commands import RateAppeal, SubmitAppeal
from engine.governance.ids import AppealId, BuildingId
from engine.governance.views import APPEAL_KIND_ZH, APPEAL_URGENCY_ZH, resident_json

router = APIRouter(prefix="/public", tags=["residents 居民"])

GONE = "这个二维码已更换，请扫描楼栋里新贴的二维码，或拨打社区电话 (this link was replaced)"
UNKNOWN = "找不到这个楼栋二维码，请联系社区 (no building has this link)"
KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _limits(request: Request) -> AppealLimits:
    limits: AppealLimits = request.app.state.appeal_limits
    return limits


def _building(service: Service, code: str) -> tuple[Board, BuildingId]:
    boards = service.boards()
    for board in boards:
        building = board.ledger.code_buildings.get(code)
        if building is not None:
            return board, building
    if any(code in b.ledger.retired_codes for b in boards):
        raise NotFound(GONE, said=True)
    raise NotFound(UNKNOWN, said=True)


def _appeal(service: Service, receipt: str) -> tuple[Board, AppealId]:
    for board in service.boards():
        appeal = board.ledger.receipts.get(receipt.upper())
        if appeal is not None:
            return board, appeal
    raise NotFound("找不到这个受理编号，请核对后再试 (no appeal has this receipt)", said=True)


def _resident(board: Board, building: BuildingId) -> Principal:
    """Who the log says sent it: a resident of the building (no name: the page asks for none)."""
    assert board.community is not None
    return Principal(0, Role.RESIDENT, board.community.street, board.community.id, None, None, building)


@router.get("/buildings/{code}")
def building_page(code: str, service: ServiceDep) -> dict[str, Any]:
    """What the building's page shows: where, whether the community is in incident mode, its hotline."""
    board, building_id = _building(service, code)
    assert board.community is not None and board.profile is not None
    building = board.ledger.buildings[building_id]
    incident = board.incident
    return {
        "community_name": board.community.name or board.community.id,
        "building_name": building.name,
        "incident": {"kind": incident.kind, "level": incident.level} if incident is not None else None,
        "hotline": board.profile.appeals.hotline,
        "kinds": [{"value": k.value, "zh": APPEAL_KIND_ZH[k]} for k in AppealKind],
        "urgencies": [{"value": u.value, "zh": APPEAL_URGENCY_ZH[u]} for u in Urgency],
        "photo_max_bytes": RESIDENT_MAX_BYTES,
    }


@router.post("/buildings/{code}/appeals", status_code=201)
async def submit_appeal(
    code: str,
    body: AppealCreate,
    request: Request,
    service: ServiceDep,
    key: KeyHeader = None,
) -> Any:
    board, building = _building(service, code)
    assert board.community is not None
    resident = _resident(board, building)
    async with idempotency_for(request, service, resident, key) as idempotency:
        # Counted by the owner of the community's partition only: a request another worker forwards here was
        # not counted there (uvicorn takes the resident's address from the forwarder's X-Forwarded-For).
        await service.own(board.community.id)
        # The same request again (same key, same body) is one attempt: a different body under one key is not.
        attempt = f"{resident.owner}/{key}/{idempotency.request_hash}" if idempotency is not None else None
        _limits(request).submitted(code, address_of(request), rescue=body.rescue, attempt=attempt)
        photo = decode(board.community.id, body.photo, RESIDENT_MAX_BYTES) if body.photo is not None else None
        receipt = new_receipt()
        appeal = Appeal(
            id=AppealId(""),
            building=building,
            kind=AppealKind.EMERGENCY if body.rescue else body.kind,
            urgency=Urgency.VERY_URGENT if body.rescue else body.urgency,
            note=body.note,
            photo=photo.sha256 if photo else None,
            rescue=body.rescue,
        )
        command = SubmitAppeal(appeal=appeal, receipt=receipt, contact_phone=body.phone)

        def view(b: Board, _: object) -> tuple[int, Any]:
            return 201, resident_json(b.ledger.appeals[b.ledger.receipts[receipt]], b.ledger)

        status, answer = await service.execute(
            board.community.id,
            command,
            resident,
            view,
            idempotency,
            photos=(photo,) if photo is not None else (),
        )
    return JSONResponse(answer, status_code=status)


@router.get("/appeals/{receipt}")
def follow_appeal(receipt: str, request: Request, service: ServiceDep) -> dict[str, Any]:
    _limits(request).looked_up(address_of(request))
    board, appeal = _appeal(service, receipt)
    return resident_json(board.ledger.appeals[appeal], board.ledger)


@router.post("/appeals/{receipt}/rating")
async def rate_appeal(
    receipt: str,
    body: RatingCreate,
    request: Request,
    service: ServiceDep,
    key: KeyHeader = None,
) -> dict[str, Any]:
    _limits(request).looked_up(address_of(request))
    board, appeal = _appeal(service, receipt)
    record = board.ledger.appeals[appeal]
    resident = _resident(board, record.appeal.building)
    async with idempotency_for(request, service, resident, key) as idempotency:
        return await service.apply(
            board,
            RateAppeal(appeal=appeal, stars=body.stars, comment=body.comment),
            resident,
            idempotency,
            lambda b: resident_json(b.ledger.appeals[appeal], b.ledger),
        )
