"""Plans: the current one, and every version stored during an incident."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.access import Forbidden, reads_everything
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.problems import NotFound
from api.responses import NOT_MODIFIED, shared
from api.schemas import dispatch_public

router = APIRouter(prefix="/communities/{community}", tags=["plans 调度方案"])


def _readers_only(principal: PrincipalDep, board: BoardDep) -> None:
    # A plan names every need and resource of the community: not for an organisation's eyes.
    if not reads_everything(principal, board):
        raise Forbidden("组织只能查看派给自己的任务 (an organisation sees only its own assignments)")


@router.get("/plan", response_model=dict[str, Any], responses=NOT_MODIFIED)
async def current_plan(request: Request, board: BoardDep, principal: PrincipalDep) -> Response:
    _readers_only(principal, board)
    plan = board.plan
    if plan is None:
        raise NotFound("当前方案")
    # The same for every reader of the whole community.
    return shared(
        request,
        board,
        (),
        lambda: {
            "version": board.plan_version,
            "at": board.plan_at.isoformat() if board.plan_at else None,
            "incident": board.incident.id if board.incident else None,
            "exercise": board.exercise,
            "plan": plan.model_dump(mode="json"),
            "dispatches": [dispatch_public(board, d) for _, d in sorted(board.dispatches.items())],
        },
    )


@router.get("/plans")
def plan_versions(
    board: BoardDep, principal: PrincipalDep, service: ServiceDep, incident: str | None = Query(default=None)
) -> list[dict[str, Any]]:
    _readers_only(principal, board)
    assert board.community is not None
    return [
        {
            "version": row.version,
            "at": row.at.isoformat(),
            "incident": row.incident,
            "exercise": row.exercise,
            "objective": json.loads(row.plan)["objective"],
        }
        for row in service.store.plan_versions(board.community.id, incident)
    ]


@router.get("/plans/{version}")
def plan_version(
    # Bounded: a number past the database's integer range would fail in the query, not say "not found".
    version: Annotated[int, Path(ge=1, le=2**63 - 1)],
    board: BoardDep,
    principal: PrincipalDep,
    service: ServiceDep,
) -> dict[str, Any]:
    _readers_only(principal, board)
    assert board.community is not None
    row = service.store.plan_version(board.community.id, version)
    if row is None:
        raise NotFound(f"方案版本 {version}")
    return {
        "version": row.version,
        "at": row.at.isoformat(),
        "incident": row.incident,
        "exercise": row.exercise,
        "plan": json.loads(row.plan),
    }
