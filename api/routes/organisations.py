"""The organisations of a community's resource pool."""

from typing import Any

from fastapi import APIRouter, Request, Response

from api.access import Forbidden, manages_community
from api.auth import Principal, Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.problems import NotFound
from api.responses import NOT_MODIFIED, reader_view, shared
from api.schemas import OrganisationCreate, OrganisationUpdate
from api.service import Idempotency, Service
from engine.coordinator import Board, RegisterOrganisation
from engine.coordinator.commands import UpdateOrganisation
from engine.model import Organisation

router = APIRouter(prefix="/communities/{community}/organisations", tags=["organisations 组织"])


@router.get("", response_model=list[dict[str, Any]], responses=NOT_MODIFIED)
async def list_organisations(request: Request, board: BoardDep, principal: PrincipalDep) -> Response:
    return shared(
        request,
        board,
        reader_view(principal),
        lambda: [
            o.model_dump(mode="json")
            for _, o in sorted(board.organisations.items())
            if principal.role is not Role.ORGANISATION or o.id == principal.organisation
        ],
    )


@router.get("/{organisation}")
def get_organisation(organisation: str, board: BoardDep, principal: PrincipalDep) -> dict[str, Any]:
    found = board.organisations.get(organisation)  # type: ignore[call-overload]
    if found is None or (principal.role is Role.ORGANISATION and principal.organisation != organisation):
        raise NotFound(f"组织 {organisation!r}")
    return found.model_dump(mode="json")  # type: ignore[no-any-return]


@router.post("", status_code=201)
async def register_organisation(
    body: OrganisationCreate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以登记组织 (only the community's cadres or the street)")
    return await register(board, service, principal, idempotency, body)


async def register(
    board: Board,
    service: Service,
    principal: Principal,
    idempotency: Idempotency | None,
    body: OrganisationCreate,
) -> dict[str, Any]:
    """Register an organisation on ``board``: a community's, or the street's own pool (no community)."""
    assert board.community is not None
    community = None if board.is_street else board.community.id
    organisation = Organisation(id=body.id, kind=body.kind, community=community, name=body.name)
    _, result = await service.execute(
        board.key,
        RegisterOrganisation(organisation=organisation),
        principal,
        lambda b, _: (201, b.organisations[organisation.id].model_dump(mode="json")),
        idempotency,
    )
    return result  # type: ignore[no-any-return]


@router.patch("/{organisation}")
async def update_organisation(
    organisation: str,
    body: OrganisationUpdate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以修改组织 (only the community's cadres or the street)")
    return await save_organisation(board, service, principal, idempotency, organisation, body)


async def save_organisation(
    board: Board,
    service: Service,
    principal: Principal,
    idempotency: Idempotency | None,
    organisation: str,
    body: OrganisationUpdate,
) -> dict[str, Any]:
    """A registered organisation's new name or kind (a community's, or of the street's own pool)."""
    found = board.organisations.get(organisation)  # type: ignore[call-overload]
    if found is None:
        raise NotFound(f"组织 {organisation!r}")
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    updated = Organisation.model_validate({**found.model_dump(), **changes})
    return await service.apply(
        board,
        UpdateOrganisation(organisation=updated),
        principal,
        idempotency,
        lambda b: b.organisations[updated.id].model_dump(mode="json"),
    )
