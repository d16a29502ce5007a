"""Communities and their governance profiles."""

from typing import Any

from fastapi import APIRouter, Request, Response

from api.access import Forbidden, manages_community, sees_community
from api.auth import Role
from api.deps import BoardDep, IdempotencyDep, PrincipalDep, ServiceDep
from api.profiles import named_profile
from api.responses import NOT_MODIFIED, shared
from api.schemas import CommunityCreate, ProfileUpdate, community_public
from api.service import Service
from engine.coordinator import ChangeProfile, RegisterCommunity, Rejected
from engine.matching.document import Travel
from engine.model import Community
from engine.rules import Profile, ProfileError

router = APIRouter(prefix="/communities", tags=["communities 社区"])


def named(service: Service, name: str, field: str) -> Profile:
    """The profile called ``name`` (shipped, or the operator's own), or a refusal naming ``field``."""
    try:
        return named_profile(name, service.profile_dir)
    except (ProfileError, ValueError) as exc:
        raise Rejected("invalid", field, str(exc)) from None


def check_map(service: Service, spec: Travel) -> None:
    """An OpenStreetMap extract is a file in the data folder: nowhere else, and it must be there."""
    if spec.osm is None:
        return
    base = service.maps.base.resolve()
    path = (base / spec.osm.path).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise Rejected("invalid", "map.osm.path", f"{spec.osm.path!r}: no such map file in the data folder")


@router.get("")
def list_communities(service: ServiceDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    return [community_public(b) for b in service.boards() if sees_community(principal, b)]


@router.post("", status_code=201)
async def create_community(
    body: CommunityCreate,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> dict[str, Any]:
    if principal.role is not Role.STREET or principal.street != body.street:
        raise Forbidden("只有本街道工作人员可以建立社区 (only the street's staff)")
    existing = service.board(body.id)
    if existing is not None:
        raise Rejected("conflict", "id", f"community {body.id!r} already exists")
    check_map(service, body.map)
    command = RegisterCommunity(
        community=Community(id=body.id, street=body.street, profile=body.profile, name=body.name),
        profile=named(service, body.profile, "profile"),
        map=body.map,
    )
    status, result = await service.execute(
        body.id, command, principal, lambda board, _: (201, community_public(board)), idempotency
    )
    response.status_code = status
    return result  # type: ignore[no-any-return]


@router.get("/{community}", response_model=dict[str, Any], responses=NOT_MODIFIED)
async def get_community(request: Request, board: BoardDep) -> Response:
    # The same for everyone who sees the community.
    return shared(request, board, (), lambda: community_public(board))


@router.get("/{community}/profile")
def get_profile(board: BoardDep) -> dict[str, Any]:
    assert board.profile is not None
    return board.profile.model_dump(mode="json")


@router.put("/{community}/profile")
async def change_profile(
    body: ProfileUpdate,
    board: BoardDep,
    service: ServiceDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    if not manages_community(principal, board):
        raise Forbidden("只有本社区干部或街道可以更改规则 (only the community's cadres or the street)")
    command = ChangeProfile(profile=named(service, body.profile, "profile"))
    return await service.apply(board, command, principal, idempotency, lambda b: community_public(b))
