"""Tokens given out, and revoking one: street staff for their street and its communities, the head for theirs.

Tokens are made with ``pingzhan token create`` or here (the console's people and pool pages), and the secret
is shown that once; afterwards they are listed without it.
A revoked token is refused from then on, and its open websockets are closed in every server process at once.
Revoking is idempotent: again, it answers with the first revocation's time and author.
"""

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import Field

from api.access import Forbidden
from api.auth import Principal, Role, TokenPublic, TokenScope, create_token, list_tokens, revoke_token
from api.deps import BoardDep, PrincipalDep, ServiceDep, StreetBoardDep
from api.hub import revocation_notice
from api.people_access import manages_people
from api.problems import NotFound
from api.schemas import Body, Id
from api.service import Service
from engine.coordinator import Board, Rejected

router = APIRouter(tags=["tokens 令牌"])

TokenId = Annotated[int, Path(ge=1, description="the token's number, as listed (never the token itself)")]


def _community(principal: Principal, board: Board) -> TokenScope:
    if not manages_people(principal, board):
        raise Forbidden("只有街道或社区书记可以管理本社区的令牌 (only the street or the community head)")
    assert board.community is not None
    return TokenScope(community=board.community.id)


def _street(principal: Principal, street: str) -> TokenScope:
    if principal.role is Role.STREET and principal.street == street:
        return TokenScope(street=street)
    street_level = principal.role in (Role.STREET, Role.OBSERVER) and principal.community is None
    if street_level and principal.street != street:
        # Another street's people are told nothing of this one, not even that it exists.
        raise NotFound(f"街道 {street!r}")
    raise Forbidden("只有街道工作人员可以管理街道的令牌 (street staff only)")


async def _revoke(service: Service, principal: Principal, token: int, scope: TokenScope) -> TokenPublic:
    engine = service.store.engine
    revoked = await asyncio.to_thread(
        revoke_token, engine, token, by=principal.subject, at=service.clock(), scope=scope
    )
    if revoked is None:
        raise NotFound(f"令牌 {token}")
    # Also when it was revoked before: a process that missed the first notice hears this one.
    await service.pubsub.publish(revocation_notice(token))
    return revoked


class TokenCreate(Body):
    """A token for a person of the community (``name``: their roster entry) or for an organisation."""

    role: Literal["cadre", "grid_worker", "captain", "organisation", "observer"]
    name: str = Field(min_length=1, max_length=128)
    organisation: Id | None = None
    grid: Id | None = None


class StreetTokenCreate(Body):
    """A token for the street's staff, an observer of the street, or an organisation of its own pool."""

    role: Literal["street", "observer", "organisation"]
    name: str = Field(min_length=1, max_length=128)
    organisation: Id | None = None


def _organisation_of(board: Board, role: str, organisation: str | None) -> str | None:
    if role != "organisation":
        if organisation is not None:
            raise Rejected("invalid", "organisation", "only an organisation's token names an organisation")
        return None
    if organisation is None or organisation not in board.organisations:
        raise Rejected("invalid", "organisation", f"{organisation!r}: no such organisation in this pool")
    return organisation


async def _made(service: Service, principal: Principal, role: str, **binding: Any) -> dict[str, Any]:
    token = await asyncio.to_thread(
        create_token, service.store.engine, role=Role(role), at=service.clock(), **binding
    )
    # The secret is shown this once: only its hash is kept.
    return {"token": token, "role": role, **binding}


def community_binding(body: TokenCreate, principal: Principal, board: Board) -> dict[str, Any]:
    """What a community's new token (or sign-in link, api/routes/signin.py) is bound to, once it may be made."""
    scope = _community(principal, board)
    organisation = _organisation_of(board, body.role, body.organisation)
    if body.grid is not None and body.role != "grid_worker":
        raise Rejected("invalid", "grid", "only a grid worker's token names a grid")
    return {"community": scope.community, "organisation": organisation, "grid": body.grid, "name": body.name}


def street_binding(
    street: str, body: StreetTokenCreate, principal: Principal, board: Board
) -> dict[str, Any]:
    """What a street's new token (or sign-in link) is bound to, once it may be made."""
    _street(principal, street)
    organisation = _organisation_of(board, body.role, body.organisation)
    return {"street": street, "organisation": organisation, "name": body.name}


@router.post("/communities/{community}/tokens", status_code=201)
async def create_community_token(
    body: TokenCreate, service: ServiceDep, principal: PrincipalDep, board: BoardDep
) -> dict[str, Any]:
    return await _made(service, principal, body.role, **community_binding(body, principal, board))


@router.post("/streets/{street}/tokens", status_code=201)
async def create_street_token(
    street: str, body: StreetTokenCreate, service: ServiceDep, principal: PrincipalDep, board: StreetBoardDep
) -> dict[str, Any]:
    return await _made(service, principal, body.role, **street_binding(street, body, principal, board))


@router.get("/communities/{community}/tokens")
def list_community_tokens(service: ServiceDep, principal: PrincipalDep, board: BoardDep) -> list[TokenPublic]:
    return list_tokens(service.store.engine, _community(principal, board))


@router.post("/communities/{community}/tokens/{token}/revoke")
async def revoke_community_token(
    token: TokenId, service: ServiceDep, principal: PrincipalDep, board: BoardDep
) -> TokenPublic:
    return await _revoke(service, principal, token, _community(principal, board))


@router.get("/streets/{street}/tokens")
def list_street_tokens(street: str, service: ServiceDep, principal: PrincipalDep) -> list[TokenPublic]:
    return list_tokens(service.store.engine, _street(principal, street))


@router.post("/streets/{street}/tokens/{token}/revoke")
async def revoke_street_token(
    street: str, token: TokenId, service: ServiceDep, principal: PrincipalDep
) -> TokenPublic:
    return await _revoke(service, principal, token, _street(principal, street))
