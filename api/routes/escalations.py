"""A cadre's own escalation of a need to the street, and relaxing a rule the plan names: the two
suggestions an unmet need carries, as actions."""

from typing import Any

from fastapi import APIRouter

from api.access import Forbidden, manages_community, sees_need
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.masking import need_public
from api.problems import NotFound
from api.schemas import RuleRelax, community_public
from engine.coordinator import Escalate, RelaxRule
from engine.model import NeedId

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
