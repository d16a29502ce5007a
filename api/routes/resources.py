"""Resources: what organisations can send, with their availability, status and modes."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from api.access import Forbidden, manages_community, owns_resource, reads_everything
from api.auth import Principal
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.places import locate, place_name
from api.problems import NotFound
from api.responses import NOT_MODIFIED, reader_view, shared
from api.schemas import ResourceCreate, ResourceUpdate
from api.service import Idempotency, Service
from engine.coordinator import Board, Rejected, SaveResource
from engine.model import Resource

router = APIRouter(prefix="/communities/{community}/resources", tags=["resources 资源"])


def resource_public(board: Board, resource: Resource, committed: int | None = None) -> dict[str, Any]:
    # Units committed anywhere in the street: a lent unit is busy wherever it went.
    units = board.units_committed(resource.id) if committed is None else committed
    return {
        **resource.model_dump(mode="json"),
        "committed": units,
        "place": place_name(board, resource.location),
    }


def resources_public(board: Board, keep: Callable[[Resource], bool] = lambda _: True) -> list[dict[str, Any]]:
    """The board's resources ``keep`` lets through, with their committed units counted in one pass."""
    committed = board.own_units_committed()
    return [resource_public(board, r, committed[r.id]) for _, r in sorted(board.resources.items()) if keep(r)]


@router.get("", response_model=list[dict[str, Any]], responses=NOT_MODIFIED)
async def list_resources(request: Request, board: BoardDep, principal: PrincipalDep) -> Response:
    everything = reads_everything(principal, board)
    return shared(
        request,
        board,
        reader_view(principal),
        lambda: resources_public(board, lambda r: everything or owns_resource(principal, board, r.id)),
    )


@router.get("/{resource}")
def get_resource(resource: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    found = board.resources.get(resource)  # type: ignore[call-overload]
    if found is None or not (reads_everything(principal, board) or owns_resource(principal, board, resource)):
        raise NotFound(f"资源 {resource!r}")
    return resource_public(board, found)


@router.post("", status_code=201)
async def register_resource(
    body: ResourceCreate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    own = principal.organisation == body.organisation and principal.role.value == "organisation"
    if not (manages_community(principal, board) or own):
        raise Forbidden(
            "只有本社区干部、街道或该组织可以登记资源 (cadres, the street or the organisation itself)"
        )
    return await save_resource(
        board, service, principal, idempotency, new_resource(board, body), 201, response
    )


@router.patch("/{resource}")
async def update_resource(
    resource: str,
    body: ResourceUpdate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    found = board.resources.get(resource)  # type: ignore[call-overload]
    if found is None or not (reads_everything(principal, board) or owns_resource(principal, board, resource)):
        raise NotFound(f"资源 {resource!r}")
    if not (manages_community(principal, board) or owns_resource(principal, board, resource)):
        raise Forbidden(
            "只有本社区干部、街道或该组织可以修改资源 (cadres, the street or the organisation itself)"
        )
    return await save_resource(
        board, service, principal, idempotency, changed(board, found, body), 200, response
    )


def new_resource(board: Board, body: ResourceCreate) -> Resource:
    """A resource to register on ``board`` (a community's or the street's own pool)."""
    if body.id in board.resources:
        raise Rejected("conflict", "id", f"resource {body.id!r} already exists; change it with PATCH")
    location = locate(board, body.location, body.place, body.address).node
    return Resource.model_validate({**body.model_dump(exclude={"place", "address"}), "location": location})


def changed(board: Board, found: Resource, body: ResourceUpdate) -> Resource:
    """``found`` with the fields ``body`` gives."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if changes.keys() & {"location", "place", "address"}:
        changes["location"] = locate(board, body.location, body.place, body.address).node
    changes.pop("place", None)
    changes.pop("address", None)
    return Resource.model_validate({**found.model_dump(), **changes})


async def save_resource(
    board: Board,
    service: Service,
    principal: Principal,
    idempotency: Idempotency | None,
    resource: Resource,
    status: int,
    response: Response,
) -> dict[str, Any]:
    code, result = await service.execute(
        board.key,
        SaveResource(resource=resource),
        principal,
        lambda b, _: (status, resource_public(b, b.resources[resource.id])),
        idempotency,
    )
    response.status_code = code
    return result  # type: ignore[no-any-return]
