"""A cadre's own escalation of a need to the street, and relaxing a rule the plan names: the two
suggestions an unmet need carries, as actions."""

from typing import Any

from fastapi import APIRouter

from api.access import Forbidden, manages_community, sees_need
from api.auth import Principal, Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.masking import need_public
from api.problems import NotFound
from api.schemas import AnswerBody, ApprovalBody, AssignBody, RuleRelax, community_public
from engine.coordinator import Board, Escalate, RelaxRule
from engine.coordinator.commands import AnswerEscalation, Approve, Assign
from engine.coordinator.events import DispatchId, EscalationAnswer
from engine.model import NeedId
from engine.model.ids import Capability, CommunityId, ResourceId

router = APIRouter(prefix="/communities/{community}", tags=["escalations 上报与规则"])


@router.post("/needs/{need}/escalate")
async def escalate(
    need: str, board: BoardDep, service: ServiceDep, principal: PrincipalDep, idempotency: IdempotencyDep
) -> dict[str, Any]:
    if need not in board.needs or not sees_need(principal, board, need):
        raise NotFound(f"需求 {need!r}")
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以上报街道 (only the community's cadres or the street)")
    return await service.apply(
        board,
        Escalate(need=NeedId(need)),
        principal,
        idempotency,
        lambda b: need_public(principal, b, b.needs[NeedId(need)]),
    )


@router.post("/profile/relax")
async def relax_rule(
    body: RuleRelax,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """Stop applying one rule of the community's profile (until the profile is set again)."""
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以放宽规则 (only the community's cadres or the street)")
    return await service.apply(
        board, RelaxRule(rule=body.rule), principal, idempotency, lambda b: community_public(b)
    )


def _street_staff(principal: Principal, board: Board) -> None:
    assert board.community is not None
    if principal.role is not Role.STREET or principal.street != board.community.street:
        raise Forbidden("只有本街道工作人员可以处理上报 (only the street's staff)")


def _street_acts_on(principal: Principal, board: Board, need: str) -> None:
    if need not in board.needs:
        raise NotFound(f"需求 {need!r}")
    _street_staff(principal, board)


def _need_view(principal: Principal, need: str) -> Any:
    return lambda b: need_public(principal, b, b.needs[NeedId(need)])


@router.post("/assignments/{assignment}/approve")
async def approve(
    assignment: str,
    body: ApprovalBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """The street approves sending another community's units (the lender's rules ask for it)."""
    d = board.dispatches.get(DispatchId(assignment))
    if d is None:
        raise NotFound(f"派单 {assignment!r}")
    _street_staff(principal, board)
    return await service.apply(
        board, Approve(dispatch=d.id, note=body.note), principal, idempotency, _need_view(principal, d.need)
    )


@router.post("/needs/{need}/assign")
async def assign(
    need: str,
    body: AssignBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """Street staff send units by hand (the street's pool, or a community that lends); kept as a pin."""
    _street_acts_on(principal, board, need)
    command = Assign(
        need=NeedId(need),
        resource=ResourceId(body.resource),
        quantity=body.quantity,
        part=Capability(body.part) if body.part else None,
        note=body.note,
    )
    return await service.apply(board, command, principal, idempotency, _need_view(principal, need))


@router.post("/needs/{need}/answer")
async def answer(
    need: str,
    body: AnswerBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """The street's answer that sends nothing itself: another community asked to help, or no help now."""
    _street_acts_on(principal, board, need)
    if body.community is not None:
        asked = service.board(body.community)
        if asked is None or asked.is_street or asked.community is None or not _same_street(asked, board):
            raise NotFound(f"社区 {body.community!r}")
    command = AnswerEscalation(
        need=NeedId(need),
        answer=EscalationAnswer(body.answer),
        note=body.note,
        community=CommunityId(body.community) if body.community else None,
    )
    return await service.apply(board, command, principal, idempotency, _need_view(principal, need))


def _same_street(a: Board, b: Board) -> bool:
    return a.community is not None and b.community is not None and a.community.street == b.community.street
