"""Plans: the current one, and every version stored during an incident."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from api.access import check_reads_everything
from api.deps import BoardDep, PrincipalDep, ServiceDep
from api.labels import reader_lang, unmet_named
from api.places import named
from api.problems import NotFound
from api.responses import NOT_MODIFIED, shared
from api.schemas import dispatch_public
from engine.coordinator import Board

router = APIRouter(prefix="/communities/{community}", tags=["plans 调度方案"])


def _readers_only(principal: PrincipalDep, board: BoardDep) -> None:
    # A plan names every need and resource of the community: not for an organisation's eyes.
    check_reads_everything(principal, board)


def unmet_in(board: Board, plan: dict[str, Any], lang: str) -> dict[str, Any]:
    """``plan`` (as JSON) with its unmet texts in ``lang``, codes named."""
    return {**plan, "unmet": unmet_named(board, plan["unmet"], lang)}


@router.get("/plan", response_model=dict[str, Any], responses=NOT_MODIFIED)
async def current_plan(
    request: Request,
    board: BoardDep,
    principal: PrincipalDep,
    lang: Annotated[str | None, Query(max_length=16, description="zh (default) or en")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    _readers_only(principal, board)
    plan = board.plan
    if plan is None:
        raise NotFound("当前方案")
    chosen = reader_lang(lang, accept_language)
    # The same for every reader of the whole community in one language.
    return shared(
        request,
        board,
        (chosen,),
        lambda: {
            "version": board.plan_version,
            "at": board.plan_at.isoformat() if board.plan_at else None,
            "incident": board.incident.id if board.incident else None,
            "exercise": board.exercise,
            "plan": named(board, unmet_in(board, plan.model_dump(mode="json"), chosen)),
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
        "plan": named(board, json.loads(row.plan)),
    }
