"""Residents' needs: reported by grid workers and cadres, updated, cancelled."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.access import Forbidden, reports_needs, sees_need
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.ids import next_id
from api.masking import need_public, phone_view
from api.places import locate
from api.problems import NotFound
from api.responses import NOT_MODIFIED, reader_view, shared
from api.schemas import NeedCancel, NeedCreate, NeedUpdate
from engine.coordinator import Board, CancelNeed, NeedRecord, ReportNeed, UpdateNeed
from engine.coordinator.board import NeedStatus
from engine.model import Need

router = APIRouter(prefix="/communities/{community}/needs", tags=["needs 需求"])


def _visible(board: Board, principal: PrincipalDep, need: str) -> NeedRecord:
    record = board.needs.get(need)  # type: ignore[call-overload]
    if record is None or not sees_need(principal, board, need):
        raise NotFound(f"需求 {need!r}")
    return record  # type: ignore[no-any-return]


@router.get("", response_model=list[dict[str, Any]], responses=NOT_MODIFIED)
async def list_needs(
    request: Request,
    board: BoardDep,
    principal: PrincipalDep,
    status: Annotated[NeedStatus | None, Query()] = None,
) -> Response:
    def build() -> list[dict[str, Any]]:
        # Most urgent first by the priority in force (the one shown), then the longest waiting.
        records = sorted(board.needs.values(), key=lambda r: (-r.priority, r.reported_at, r.need.id))
        return [
            need_public(principal, board, r)
            for r in records
            if (status is None or r.status is status) and sees_need(principal, board, r.need.id)
        ]

    return shared(request, board, (reader_view(principal), phone_view(principal, board)), build)


@router.get("/{need}")
def get_need(need: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    return need_public(principal, board, _visible(board, principal, need))


@router.post("", status_code=201)
async def report_need(
    body: NeedCreate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    if not reports_needs(principal, board):
        raise Forbidden("只有网格员、社区干部或街道可以上报需求 (grid workers, cadres or the street)")
    assert board.community is not None
    when = body.occurred_at or service.clock()
    fields = body.model_dump(exclude={"id", "contact_phone", "occurred_at", "place"})
    fields["location"], fields["address"], fields["place_id"] = locate(
        board, body.location, body.place, body.address
    )
    made: list[Need] = []

    def report(now: Board) -> ReportNeed:
        """Under the service's lock: the id is the next one free in this community as it is now."""
        assert now.community is not None
        need = Need.model_validate(
            {
                **fields,
                "id": body.id or next_id(now.community.id, "n", now.needs),
                "community": now.community.id,
                "reported_by": principal.subject,
                "reported_at": when,
            }
        )
        made.append(need)
        return ReportNeed(need=need, contact_phone=body.contact_phone)

    code, result = await service.execute(
        board.community.id,
        report,
        principal,
        lambda b, _: (201, need_public(principal, b, b.needs[made[-1].id])),
        idempotency,
    )
    response.status_code = code
    return result  # type: ignore[no-any-return]


@router.patch("/{need}")
async def update_need(
    need: str,
    body: NeedUpdate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _visible(board, principal, need)
    if not reports_needs(principal, board):
        raise Forbidden("只有网格员、社区干部或街道可以修改需求 (grid workers, cadres or the street)")
    changes = body.model_dump(exclude_unset=True, exclude={"place"})
    if changes.keys() & {"location", "address"} or body.place:
        changes["location"], changes["address"], changes["place_id"] = locate(
            board, body.location, body.place, body.address
        )
    updated = Need.model_validate({**record.need.model_dump(), **changes})
    return await service.apply(
        board,
        UpdateNeed(need=updated),
        principal,
        idempotency,
        lambda b: need_public(principal, b, b.needs[updated.id]),
    )


@router.post("/{need}/cancel")
async def cancel_need(
    need: str,
    body: NeedCancel,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _visible(board, principal, need)
    if not reports_needs(principal, board):
        raise Forbidden("只有网格员、社区干部或街道可以取消需求 (grid workers, cadres or the street)")
    return await service.apply(
        board,
        CancelNeed(need=record.need.id, reason=body.reason),
        principal,
        idempotency,
        lambda b: need_public(principal, b, b.needs[record.need.id]),
    )
