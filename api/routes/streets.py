"""The street office (街道): its own pool, its inbox of escalations and approvals, and the pool's state.

The street's pool is a board of its own (organisations with no community, their resources) that the street's
joint plans send to any of its communities. What the street does about a community's need (approve, assign,
ask, answer) is a command on that community's board: see api/routes/escalations.py.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from api.access import Forbidden
from api.auth import Principal, Role
from api.deps import IdempotencyDep, PrincipalDep, ServiceDep, StreetBoardDep
from api.labels import reader_lang, reader_names
from api.masking import need_public
from api.places import need_place, place_name
from api.problems import NotFound
from api.routes.communities import check_map, named
from api.routes.organisations import register, save_organisation
from api.routes.resources import changed, new_resource, resources_public, save_resource
from api.schemas import OrganisationCreate, OrganisationUpdate, ResourceCreate, ResourceUpdate, StreetCreate
from api.service import Service
from engine.coordinator import Board, Dispatch, Rejected
from engine.coordinator.board import dispatch_json
from engine.coordinator.commands import RegisterStreet
from engine.coordinator.events import ANSWER_ZH
from engine.coordinator.refs import home_of, split, street_key
from engine.matching.explain import restate
from engine.model.ids import StreetId

router = APIRouter(prefix="/streets", tags=["streets 街道"])


def street_staff(p: Principal, street: str) -> None:
    if p.role is not Role.STREET or p.street != street:
        raise Forbidden("只有本街道工作人员可以操作 (only the street's staff)")


def street_public(service: Service, board: Board) -> dict[str, Any]:
    assert board.community is not None and board.profile is not None
    street = board.community.street
    return {
        "id": street,
        "name": board.community.name,
        "profile": board.profile.name,
        "communities": [
            {
                "id": b.community.id,
                "name": b.community.name,
                "mode": b.mode.value,
                "open_needs": len(b.open_needs()),
            }
            for b in service.street_boards(street)
            if b.community is not None
        ],
    }


@router.post("", status_code=201)
async def create_street(
    body: StreetCreate,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    """Register the street's own pool board, on the street's map (the one its communities plan on)."""
    street_staff(principal, body.id)
    if service.street_board(body.id) is not None:
        raise Rejected("conflict", "id", f"street {body.id!r} is already registered")
    check_map(service, body.map)
    command = RegisterStreet(
        street=StreetId(body.id),
        name=body.name,
        profile=named(service, body.profile, "profile"),
        map=body.map,
    )
    status, result = await service.execute(
        street_key(body.id), command, principal, lambda b, _: (201, street_public(service, b)), idempotency
    )
    response.status_code = status
    return result  # type: ignore[no-any-return]


@router.get("/{street}")
def get_street(board: StreetBoardDep, service: ServiceDep) -> dict[str, Any]:
    return street_public(service, board)


# -- the street's own pool ------------------------------------------------------------------------


@router.get("/{street}/organisations")
def list_organisations(board: StreetBoardDep) -> list[dict[str, Any]]:
    return [o.model_dump(mode="json") for _, o in sorted(board.organisations.items())]


@router.post("/{street}/organisations", status_code=201)
async def register_organisation(
    street: str,
    body: OrganisationCreate,
    board: StreetBoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    street_staff(principal, street)
    return await register(board, service, principal, idempotency, body)


@router.patch("/{street}/organisations/{organisation}")
async def update_organisation(
    street: str,
    organisation: str,
    body: OrganisationUpdate,
    board: StreetBoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    street_staff(principal, street)
    return await save_organisation(board, service, principal, idempotency, organisation, body)


@router.get("/{street}/resources")
def list_resources(board: StreetBoardDep) -> list[dict[str, Any]]:
    return resources_public(board)


@router.post("/{street}/resources", status_code=201)
async def register_resource(
    street: str,
    body: ResourceCreate,
    board: StreetBoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    street_staff(principal, street)
    return await save_resource(
        board, service, principal, idempotency, new_resource(board, body), 201, response
    )


@router.patch("/{street}/resources/{resource}")
async def update_resource(
    street: str,
    resource: str,
    body: ResourceUpdate,
    board: StreetBoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    street_staff(principal, street)
    found = board.resources.get(resource)  # type: ignore[call-overload]
    if found is None:
        raise NotFound(f"资源 {resource!r}")
    return await save_resource(
        board, service, principal, idempotency, changed(board, found, body), 200, response
    )


# -- what the street acts on ---------------------------------------------------------------------


@router.get("/{street}/inbox")
def inbox(
    street: str,
    board: StreetBoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    lang: Annotated[str | None, Query(max_length=16, description="zh (default) or en")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> list[dict[str, Any]]:
    """Escalated needs still open, and proposals that wait for the street's approval: most urgent first
    (priority, then the longest wait). The plan's texts in the reader's language, codes named."""
    now = service.clock()
    chosen = reader_lang(lang, accept_language)
    items: list[dict[str, Any]] = []
    for b in service.street_boards(street):
        assert b.community is not None
        waiting_approval: dict[str, list[Dispatch]] = {}
        for d in b.dispatches.values():
            if d.approval and not d.committed:
                waiting_approval.setdefault(d.need, []).append(d)
        unmet = {u.need: u for u in b.plan.unmet} if b.plan is not None else {}
        for record in b.open_needs():
            need = record.need.id
            if not record.escalated and need not in waiting_approval:
                continue
            u = unmet.get(need)
            names = reader_names(b, chosen)
            answers = record.answers
            items.append(
                {
                    "community": b.community.id,
                    "community_name": b.community.name,
                    "need": need_public(principal, b, record),
                    "priority": record.priority,
                    "waiting_s": max(0, int((now - record.reported_at).total_seconds())),
                    "escalated": record.escalated,
                    "state": answers[-1].answer.value
                    if answers
                    else ("open" if record.escalated else "approval"),
                    "state_zh": ANSWER_ZH[answers[-1].answer] if answers else "待街道处理",
                    "reason": u.reason.value if u is not None else None,
                    "detail": restate(u.detail, chosen, names) if u is not None else None,
                    "suggestion": restate(u.suggestion.text, chosen, names) if u is not None else None,
                    "missing": u.quantity if u is not None else 0,
                    "approvals": [_approval(b, d) for d in sorted(waiting_approval.get(need, []), key=_id)],
                    "dispatches": [
                        dispatch_json(d) for d in sorted(b.dispatches_of(need), key=_id) if d.committed
                    ],
                }
            )
    items.sort(key=lambda i: (-i["priority"], -i["waiting_s"], i["community"], i["need"]["id"]))
    return items


def _id(d: Dispatch) -> str:
    return d.id


def _approval(board: Board, d: Dispatch) -> dict[str, Any]:
    resource = board.resource(d.resource)
    assignments = board.plan.assignments if board.plan is not None else ()
    return {
        **dispatch_json(d),
        "owner": home_of(d.resource, board.key),
        "owner_name": board.name_of(home_of(d.resource, board.key)),
        "resource_name": resource.name if resource is not None else "",
        "place": need_place(board, board.needs[d.need].need) if d.need in board.needs else "",
        "travel_s": next(
            (a.travel_s for a in assignments if a.need == d.need and a.resource == d.resource), None
        ),
    }


@router.get("/{street}/pool")
def pool(street: str, board: StreetBoardDep, service: ServiceDep) -> list[dict[str, Any]]:
    """Every organisation of the street (the street's own and each community's) with its units: how many,
    how many are sent and where, by mode; what the street console shows by organisation."""
    boards = [board, *service.street_boards(street)]
    sent: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for b in boards:
        assert b.community is not None
        for d in b.dispatches.values():
            if d.committed:
                home = home_of(d.resource, b.key)
                sent.setdefault((home, split(d.resource)[1]), []).append(
                    {
                        "community": b.community.id,
                        "need": d.need,
                        "quantity": d.quantity,
                        "status": d.status.value,
                        "place": need_place(b, b.needs[d.need].need) if d.need in b.needs else "",
                    }
                )
    result = []
    for b in boards:
        assert b.community is not None
        for org in sorted(b.organisations.values(), key=lambda o: o.id):
            units = []
            for r in sorted(b.resources.values(), key=lambda r: r.id):
                if r.organisation != org.id:
                    continue
                jobs = sent.get((b.key, r.id), [])
                units.append(
                    {
                        **r.model_dump(mode="json"),
                        "place": place_name(b, r.location),
                        "sent": sum(j["quantity"] for j in jobs),
                        "jobs": jobs,
                    }
                )
            result.append(
                {
                    "home": b.key,
                    "home_name": b.community.name,
                    "street_pool": b.is_street,
                    "organisation": org.model_dump(mode="json"),
                    "resources": units,
                }
            )
    return result
