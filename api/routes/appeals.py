"""Residents' appeals for the community's cadres: the triage queue, and turning an appeal into a need, a work
order, a reply or a merge; the grid worker a work order went to marks it done."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.access import Forbidden
from api.appeal_access import handles_appeals, sees_appeal
from api.appeal_queue import State, appeal_queue
from api.appeal_schemas import AppealAssign, AppealDone, AppealMerge, AppealPlan, AppealReply
from api.auth import Principal, Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.photos import RESIDENT_MAX_BYTES, decode
from api.problems import NotFound
from engine.coordinator import Board
from engine.governance.appeals import AppealRecord
from engine.governance.commands import (
    AppealCommand,
    AssignAppeal,
    CompleteAppeal,
    MergeAppeal,
    PlanAppeal,
    ReplyAppeal,
)
from engine.governance.ids import AppealId, MemberId
from engine.governance.views import appeal_json

router = APIRouter(prefix="/communities/{community}/appeals", tags=["appeals 居民诉求"])

HANDLERS_ONLY = "只有本社区干部或街道可以处理居民诉求 (the community's cadres or the street)"


def _visible(board: Board, p: Principal, appeal: str) -> AppealRecord:
    record = board.ledger.appeals.get(AppealId(appeal))
    # Not found, rather than forbidden, for an appeal one may not see: its number says nothing then.
    if record is None or not sees_appeal(p, board, record):
        raise NotFound(f"诉求 {appeal!r}")
    return record


def _handled(board: Board, p: Principal, appeal: str) -> AppealRecord:
    record = _visible(board, p, appeal)
    if not handles_appeals(p, board):
        raise Forbidden(HANDLERS_ONLY)
    return record


def _view(p: Principal, appeal: AppealId) -> Callable[[Board], dict[str, Any]]:
    return lambda b: appeal_json(
        b.ledger.appeals[appeal], b.ledger, phone=sees_appeal(p, b, b.ledger.appeals[appeal])
    )


async def _apply(
    board: Board,
    command: AppealCommand,
    record: AppealRecord,
    p: Principal,
    service: ServiceDep,
    key: IdempotencyDep,
    **kw: Any,
) -> dict[str, Any]:
    return await service.apply(board, command, p, key, _view(p, record.appeal.id), **kw)


@router.get("")
def list_appeals(
    board: BoardDep, principal: PrincipalDep, state: Annotated[State, Query()] = "open"
) -> dict[str, Any]:
    """The queue: a rescue first, then by urgency, the longest waiting first; likely duplicates in ``groups``.
    A grid worker sees the work orders that went to them."""
    if not handles_appeals(principal, board) and principal.role is not Role.GRID_WORKER:
        raise Forbidden(HANDLERS_ONLY)
    return appeal_queue(board, principal, state)


@router.get("/{appeal}")
def get_appeal(appeal: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    return appeal_json(_visible(board, principal, appeal), board.ledger, phone=True)


@router.post("/{appeal}/need")
async def plan_appeal(
    appeal: str,
    body: AppealPlan,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _handled(board, principal, appeal)
    command = PlanAppeal(appeal=record.appeal.id, **body.model_dump())
    return await _apply(board, command, record, principal, service, idempotency)


@router.post("/{appeal}/order")
async def assign_appeal(
    appeal: str,
    body: AppealAssign,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _handled(board, principal, appeal)
    command = AssignAppeal(appeal=record.appeal.id, member=MemberId(body.member), note=body.note)
    return await _apply(board, command, record, principal, service, idempotency)


@router.post("/{appeal}/reply")
async def reply_appeal(
    appeal: str,
    body: AppealReply,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _handled(board, principal, appeal)
    command = ReplyAppeal(appeal=record.appeal.id, **body.model_dump())
    return await _apply(board, command, record, principal, service, idempotency)


@router.post("/{appeal}/merge")
async def merge_appeal(
    appeal: str,
    body: AppealMerge,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    record = _handled(board, principal, appeal)
    command = MergeAppeal(appeal=record.appeal.id, into=AppealId(body.into))
    return await _apply(board, command, record, principal, service, idempotency)


@router.post("/{appeal}/done")
async def complete_appeal(
    appeal: str,
    body: AppealDone,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """The work order is done: by the member it went to, or a cadre for them."""
    record = _visible(board, principal, appeal)
    assert board.community is not None
    photo = decode(board.community.id, body.photo, RESIDENT_MAX_BYTES) if body.photo is not None else None
    command = CompleteAppeal(appeal=record.appeal.id, note=body.note, photo=photo.sha256 if photo else None)
    return await _apply(
        board, command, record, principal, service, idempotency, photos=(photo,) if photo is not None else ()
    )
