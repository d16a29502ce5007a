"""Checks on vulnerable households during an incident: per grid to its worker, per building to its captains."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.access import Forbidden
from api.auth import Principal, Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.masking import need_public
from api.people_access import reports_check, sees_check
from api.people_schemas import CheckReport
from api.problems import NotFound
from api.routes.households import household_public
from engine.coordinator import Board
from engine.coordinator.board import incident_json
from engine.governance.checks import Check, CheckResult, CheckState
from engine.governance.commands import ReportCheck
from engine.governance.ids import HouseholdId
from engine.governance.views import check_json

router = APIRouter(prefix="/communities/{community}/checks", tags=["checks 住户核查"])

NOT_ORGANISATIONS = "组织联络人看不到住户核查 (organisations do not see checks)"
ONLY_REPORTERS = "只有本网格网格员、楼栋长或社区干部可以上报核查结果 (the grid worker, captains or cadres)"
REPORTERS = (Role.CADRE, Role.GRID_WORKER, Role.CAPTAIN)


def check_public(p: Principal, board: Board, check: Check) -> dict[str, Any]:
    household = board.ledger.households.get(check.household)
    return {
        **check_json(check),
        "household": household_public(p, board, household) if household is not None else None,
    }


@router.get("")
def list_checks(
    board: BoardDep,
    principal: PrincipalDep,
    result: Annotated[CheckResult | None, Query()] = None,
    state: Annotated[CheckState | None, Query(description="pending, follow_up 待跟进, done")] = None,
) -> dict[str, Any]:
    if principal.role is Role.ORGANISATION:
        raise Forbidden(NOT_ORGANISATIONS)
    ledger = board.ledger
    checks = [
        c
        for c in ledger.checks.values()
        if sees_check(principal, board, c)
        and (result is None or c.result is result)
        and (state is None or c.state is state)
    ]

    def order(c: Check) -> tuple[str, str, str, str]:
        household = ledger.households.get(c.household)
        return (c.grid, c.building, household.address if household else "", c.household)

    return {
        "incident": incident_json(board.incident) if board.incident else None,
        "checks": [check_public(principal, board, c) for c in sorted(checks, key=order)],
    }


@router.post("/{household}")
async def report_check(
    household: str,
    body: CheckReport,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    if principal.role is Role.ORGANISATION:
        raise Forbidden(NOT_ORGANISATIONS)
    if principal.role not in REPORTERS:
        raise Forbidden(ONLY_REPORTERS)
    check = board.ledger.checks.get(HouseholdId(household))
    if check is not None and not sees_check(principal, board, check):
        raise NotFound(f"住户 {household!r}")
    if check is not None and not reports_check(principal, board, check):
        raise Forbidden(
            "只有本网格网格员、楼栋长或社区干部可以上报核查结果 (the grid worker, captains or cadres)"
        )

    def view(b: Board) -> dict[str, Any]:
        now = b.ledger.checks[HouseholdId(household)]
        need = b.needs.get(now.need) if now.need is not None else None
        return {
            "check": check_public(principal, b, now),
            "need": need_public(principal, b, need) if need is not None else None,
        }

    # No check (no incident, or the household is not vulnerable): the engine says which, with the field.
    return await service.apply(
        board,
        ReportCheck(household=HouseholdId(household), **body.model_dump()),
        principal,
        idempotency,
        view,
    )
