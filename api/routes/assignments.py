"""Assignments (dispatches): confirm, override, and the organisation's acknowledge … done."""

from typing import Any

from fastapi import APIRouter, Request, Response

from api.access import check_dispatch_action, sees_dispatch
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.problems import NotFound
from api.responses import NOT_MODIFIED, reader_view, shared
from api.schemas import ConfirmMany, DispatchAction, OverrideBody, dispatch_public
from engine.coordinator import Advance, Board, Dispatch, DispatchId, DispatchStatus, Override

router = APIRouter(prefix="/communities/{community}/assignments", tags=["assignments 派单"])

S = DispatchStatus
ACTIONS = {
    "confirm": S.CONFIRMED,
    "acknowledge": S.ACKNOWLEDGED,
    "decline": S.DECLINED,
    "en-route": S.EN_ROUTE,
    "on-site": S.ON_SITE,
    "done": S.DONE,
    # The responder finds no open road there: not a refusal; the pair waits for the roads to change.
    "no-road": S.NO_ROAD,
}


def _visible(board: Board, principal: PrincipalDep, assignment: str) -> Dispatch:
    d = board.dispatches.get(DispatchId(assignment))
    if d is None or not sees_dispatch(principal, board, d):
        raise NotFound(f"派单 {assignment!r}")
    return d


@router.get("", response_model=list[dict[str, Any]], responses=NOT_MODIFIED)
async def list_assignments(request: Request, board: BoardDep, principal: PrincipalDep) -> Response:
    return shared(
        request,
        board,
        reader_view(principal),
        lambda: [
            dispatch_public(board, d)
            for _, d in sorted(board.dispatches.items())
            if sees_dispatch(principal, board, d)
        ],
    )


@router.get("/{assignment}")
def get_assignment(assignment: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    return dispatch_public(board, _visible(board, principal, assignment))


def _result(board: Board, dispatch_id: DispatchId) -> dict[str, Any]:
    d = board.dispatches.get(dispatch_id)
    if d is None:
        # Declined or done with: the dispatch has left the board; say what became of it.
        return {"id": dispatch_id, "status": "closed"}
    return dispatch_public(board, d)


@router.post("/{assignment}/override")
async def override(
    assignment: str,
    body: OverrideBody,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """Send another resource instead: the engine keeps the cadre's choice as a pin."""
    d = _visible(board, principal, assignment)
    check_dispatch_action(principal, board, d, None)
    assert board.community is not None
    command = Override(dispatch=d.id, resource=body.resource, quantity=body.quantity)

    def respond(b: Board, steps: list[Any]) -> tuple[int, Any]:
        created = steps[0].event.dispatch
        return 200, {"replaced": d.id, "dispatch": _result(b, created)}

    _, result = await service.execute(board.community.id, command, principal, respond, idempotency)
    return result  # type: ignore[no-any-return]


@router.post("/confirm")
async def confirm_many(
    body: ConfirmMany,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """全部确认: confirm every listed proposal in one go, all of them or none (one refused, none applied)."""
    ids = list(dict.fromkeys(body.assignments))
    dispatches = [_visible(board, principal, i) for i in ids]
    for d in dispatches:
        check_dispatch_action(principal, board, d, S.CONFIRMED)
    assert board.community is not None
    community = board.community.id

    def respond(boards: list[Board], _: list[Any]) -> tuple[int, Any]:
        return 200, {"confirmed": [_result(boards[-1], d.id) for d in dispatches]}

    _, result = await service.execute_many(
        [(community, Advance(dispatch=d.id, to=S.CONFIRMED)) for d in dispatches],
        principal,
        respond,
        idempotency,
    )
    return result  # type: ignore[no-any-return]


def _action_route(name: str, to: DispatchStatus) -> None:
    async def act(
        assignment: str,
        board: BoardDep,
        service: ServiceDep,
        principal: PrincipalDep,
        idempotency: IdempotencyDep,
        body: DispatchAction | None = None,
    ) -> dict[str, Any]:
        d = _visible(board, principal, assignment)
        check_dispatch_action(principal, board, d, to)
        note = body.note if body else ""
        occurred_at = body.occurred_at if body else None
        return await service.apply(
            board,
            Advance(dispatch=d.id, to=to, note=note, occurred_at=occurred_at),
            principal,
            idempotency,
            lambda b: _result(b, d.id),
        )

    act.__name__ = name.replace("-", "_")
    router.add_api_route(f"/{{assignment}}/{name}", act, methods=["POST"], summary=f"{name} ({to.value})")


for _name, _to in ACTIONS.items():
    _action_route(_name, _to)
