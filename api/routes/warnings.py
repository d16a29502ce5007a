"""Official warnings in (CAP 1.2 / GB/T 35965.1): a street's staff or a system token sends an alert; each
community it covers gets a proposal to start incident mode, which its cadres or the street accept or set
aside (people decide: a warning never switches a community by itself)."""

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.access import Forbidden, manages_community, reads_everything
from api.auth import Principal, Role
from api.cap.areas import AreaCodes
from api.cap.deliver import Delivered, deliver
from api.cap.read import CapProblem, read_alert
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.forward import FORWARDED
from api.ids import next_id
from api.problems import NotFound, problem, retry_later
from api.routes.street_tasks import street_boards
from api.warning_views import warning_json
from engine.coordinator import Board
from engine.coordinator.commands import AcceptWarning, DismissWarning
from engine.model.ids import IncidentId, WarningId

router = APIRouter(tags=["warnings 预警"])

WarningRef = Annotated[str, Path(min_length=3, max_length=400, description="发布方|标识 sender|identifier")]
CAP_MEDIA = ("application/cap+xml", "application/xml", "text/xml")


class WarningAccept(BaseModel):
    """启动应急模式: the kind and level the profile suggests, unless the cadre chooses others."""

    kind: str | None = Field(default=None, min_length=1, max_length=64)
    level: int | None = Field(default=None, ge=1, le=4)


class WarningDismiss(BaseModel):
    note: str = Field(default="", max_length=500)


def _bad_alert(exc: CapProblem) -> JSONResponse:
    return problem(
        422,
        "预警文件有误 Invalid CAP alert",
        str(exc),
        field=exc.place,
        errors=[{"field": exc.place, "message": exc.message}],
    )


@router.post(
    "/warnings",
    openapi_extra={
        "requestBody": {"required": True, "content": {m: {"schema": {"type": "string"}} for m in CAP_MEDIA}}
    },
)
async def receive_warning(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    street: Annotated[
        str | None, Query(max_length=100, description="只送到这个街道 this street only")
    ] = None,
) -> Any:
    """A CAP 1.2 alert (XML). Street staff reach their own street's communities; a system token every street
    (or its own, if it has one). The answer lists each community reached and the warning as it stands there."""
    if principal.role not in (Role.STREET, Role.SYSTEM) or principal.community is not None:
        raise Forbidden("只有街道工作人员或对接系统可以发送预警 (street staff or a system token only)")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in CAP_MEDIA:
        return problem(
            415,
            "格式不支持 Unsupported media type",
            f"send the alert as one of {', '.join(CAP_MEDIA)} (got {media!r})",
        )
    try:
        alert = read_alert(await request.body(), service.clock())
    except CapProblem as exc:
        return _bad_alert(exc)
    allowed = {principal.street} if principal.street else None
    if street is not None:
        if allowed is not None and street not in allowed:
            raise Forbidden(f"只能发送到本街道 (street {street!r} is not yours)")
        allowed = {street}
    codes: AreaCodes = request.app.state.area_codes
    delivered = await deliver(service, alert, codes, principal, allowed)
    try:
        communities = delivered.communities + await _elsewhere(request, delivered)
    except httpx.HTTPError as exc:
        # Receiving is idempotent: the sender sends the same alert again, and what was delivered stays one.
        return retry_later(f"another server did not take the alert for its streets: {exc}")
    return {
        "id": alert.id,
        "msg_type": alert.msg_type.value,
        "status": alert.status.value,
        "ignored": delivered.ignored or None,
        "communities": sorted(communities, key=lambda c: str(c["community"])),
    }


async def _elsewhere(request: Request, delivered: Delivered) -> list[dict[str, Any]]:
    """The streets another worker owns: the alert goes to it, one street each (never forwarded again)."""
    found: list[dict[str, Any]] = []
    if not delivered.elsewhere:
        return found
    if request.headers.get(FORWARDED.decode()):
        raise next(iter(delivered.elsewhere.values()))
    async with httpx.AsyncClient(timeout=30) as client:
        for street, not_owner in delivered.elsewhere.items():
            if not_owner.owner is None:
                raise not_owner
            answer = await client.post(
                f"{not_owner.owner.url}/api/v1/warnings",
                params={"street": street},
                content=await request.body(),
                headers={
                    "authorization": request.headers.get("authorization", ""),
                    "content-type": request.headers.get("content-type", ""),
                    FORWARDED.decode(): "1",
                },
            )
            answer.raise_for_status()
            found.extend(answer.json()["communities"])
    return found


@router.get("/communities/{community}/warnings")
def list_warnings(
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    pending: Annotated[bool, Query(description="只列待决定的 (only proposals still to decide)")] = False,
) -> list[dict[str, Any]]:
    """The warnings that covered the community, newest first."""
    _may_read(principal, board)
    return _listed(board, service, pending)


@router.get("/streets/{street}/warnings")
def street_warnings(
    street: str,
    service: ServiceDep,
    principal: PrincipalDep,
    pending: Annotated[bool, Query(description="只列待决定的 (only proposals still to decide)")] = False,
) -> list[dict[str, Any]]:
    """The street's inbox: its communities' warnings, each with its community."""
    found: list[dict[str, Any]] = []
    for board in street_boards(service, principal, street, issue=False):
        assert board.community is not None
        for item in _listed(board, service, pending):
            found.append({**item, "community": board.community.id, "community_name": board.community.name})
    return sorted(found, key=lambda w: str(w["received_at"]), reverse=True)


@router.post("/communities/{community}/warnings/{warning}/accept")
async def accept_warning(
    warning: WarningRef,
    body: WarningAccept,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """启动应急模式 on the warning: incident mode starts with the warning named in the log (or, with an
    incident already open, the warning joins it)."""
    _may_decide(principal, board, warning)
    made: list[IncidentId] = []

    def accept(now: Board) -> AcceptWarning:
        assert now.community is not None
        used = {i.id for i in (*now.incidents, now.incident) if i is not None}
        made.append(IncidentId(next_id(now.community.id, "i", used)))
        return AcceptWarning(warning=WarningId(warning), incident=made[-1], kind=body.kind, level=body.level)

    def respond(b: Board, _: Any) -> tuple[int, Any]:
        return 200, warning_json(b.warnings.records[WarningId(warning)], service.clock())

    assert board.community is not None
    _, result = await service.execute(board.community.id, accept, principal, respond, idempotency)
    return result  # type: ignore[no-any-return]


@router.post("/communities/{community}/warnings/{warning}/dismiss")
async def dismiss_warning(
    warning: WarningRef,
    body: WarningDismiss,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """暂不启动: the proposal leaves the bar of the community and the street; the warning stays listed."""
    _may_decide(principal, board, warning)
    return await service.apply(
        board,
        DismissWarning(warning=WarningId(warning), note=body.note),
        principal,
        idempotency,
        lambda b: warning_json(b.warnings.records[WarningId(warning)], service.clock()),
    )


def _listed(board: Board, service: ServiceDep, pending: bool) -> list[dict[str, Any]]:
    now = service.clock()
    items = [warning_json(r, now) for r in reversed(board.warnings.records.values())]
    return [i for i in items if i["pending"]] if pending else items


def _may_read(principal: Principal, board: Board) -> None:
    if not reads_everything(principal, board):
        raise Forbidden("组织联络人看不到预警 (organisations do not read the community's warnings)")


def _may_decide(principal: Principal, board: Board, warning: str) -> None:
    _may_read(principal, board)
    if not manages_community(principal, board):
        raise Forbidden(
            "只有本社区干部或街道可以决定是否启动应急 (the community's cadres or the street decide)"
        )
    if WarningId(warning) not in board.warnings.records:
        raise NotFound(f"预警 {warning!r}")
