"""A cadre's own escalation of a need to the street, and relaxing a rule the plan names: the two
suggestions an unmet need carries, as actions."""

from typing import Any

from fastapi import APIRouter

from api.access import Forbidden, manages_community, sees_need
from api.auth import Principal, Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.masking import need_masked_json, need_public
from api.places import named
from api.problems import NotFound
from api.schemas import AnswerBody, ApprovalBody, AssignBody, OfferBody, RuleRelax, community_public
from engine.coordinator import Board, Escalate, NeedRecord, NeedStatus, RelaxRule
from engine.coordinator.commands import AnswerEscalation, Approve, Assign
from engine.coordinator.events import DispatchId, EscalationAnswer
from engine.coordinator.refs import seen_from
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


# -- a community the street asked to help ---------------------------------------------------------------


def _asked(record: NeedRecord, community: str) -> bool:
    """The street's latest answer to this open need asked ``community`` to help."""
    answers = record.answers
    return (
        record.status is NeedStatus.OPEN
        and bool(answers)
        and answers[-1].answer is EscalationAnswer.ASKED
        and answers[-1].community == community
    )


@router.get("/requests")
def help_requests(board: BoardDep, service: ServiceDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Needs of other communities of the street that the street asked this community to help with: what is
    needed and where, never who the resident is (the phone stays masked)."""
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以查看支援请求 (only the community's cadres or the street)")
    assert board.community is not None
    now = service.clock()
    return [
        {
            "community": other.community.id,
            "community_name": other.community.name,
            "need": named(other, need_masked_json(record)),
            "priority": record.priority,
            "waiting_s": max(0, int((now - record.reported_at).total_seconds())),
            "note": record.answers[-1].note,
        }
        for other in service.street_boards(board.community.street)
        if other.community is not None and other.key != board.key
        for _, record in sorted(other.needs.items())
        if _asked(record, board.key)
    ]


@router.post("/requests/{asking}/{need}/offer")
async def offer_help(
    asking: str,
    need: str,
    body: OfferBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """This community sends one of its own units to the need the street asked it to help with."""
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以派出支援 (only the community's cadres or the street)")
    other = service.board(asking)
    record = other.needs.get(NeedId(need)) if other is not None and not other.is_street else None
    if other is None or record is None or not _asked(record, board.key):
        raise NotFound(f"支援请求 {asking!r}/{need!r}")
    command = Assign(
        need=NeedId(need),
        resource=ResourceId(seen_from(other.key, board.key, body.resource)),
        quantity=body.quantity,
        note=body.note or "应街道请求支援",
    )
    _, result = await service.execute(
        other.key,
        command,
        principal,
        lambda b, _: (200, need_masked_json(b.needs[NeedId(need)])),
        idempotency,
    )
    return result  # type: ignore[no-any-return]
