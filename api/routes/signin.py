"""Signing in by a one-time link or QR code, and signing out.

Street staff and a community's head make a link for a person (the same people and bindings as tokens: see
api/routes/tokens.py); it opens the console at ``/#signin=CODE`` (a fragment: browsers never send it, so it is in
no server's log), the page trades the code for a token of its own at ``POST /signin`` and drops it from the
address. Signing out revokes the token that signs out, and closes its websockets as any revocation does.
"""

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import Field

from api.auth import Role, revoke_token
from api.deps import BoardDep, PrincipalDep, ServiceDep, StreetBoardDep
from api.hub import revocation_notice
from api.openapi import ERRORS, HEADERS, PROBLEM
from api.problems import MEDIA
from api.qr import qr_svg
from api.routes.tokens import StreetTokenCreate, TokenCreate, community_binding, street_binding
from api.schemas import Body
from api.service import Service
from api.signin import make_code, use_code
from api.throttle import AuthFailures, address_of

router = APIRouter(tags=["tokens 令牌"])

USED_UP = (
    "这个登录链接已经用过或已过期，请找街道或社区书记重新生成一个 "
    "(this sign-in link was used already or has expired: ask for a new one)"
)


class SigninLink(Body):
    """A link that signs its holder in once, within a day, as the person it was made for."""

    link: str = Field(description="the console's address with the code in its fragment: /#signin=CODE")
    qr: str = Field(description="the link as a QR code, an SVG data: URL")
    expires_at: datetime
    role: str
    name: str


class SigninCode(Body):
    code: str = Field(min_length=8, max_length=64, description="the code from the link's #signin= fragment")


class SignedIn(Body):
    token: str = Field(description="the new token: the page keeps it, as a pasted one")


async def _link(
    request: Request, service: Service, principal: PrincipalDep, role: str, **binding: Any
) -> SigninLink:
    made = await asyncio.to_thread(
        make_code,
        service.store.engine,
        role=Role(role),
        at=service.clock(),
        made_by=principal.subject,
        **binding,
    )
    link = f"{request.base_url}#signin={made.code}"
    return SigninLink(link=link, qr=qr_svg(link), expires_at=made.expires_at, role=role, name=binding["name"])


@router.post("/communities/{community}/signin-links", status_code=201)
async def create_community_link(
    request: Request, body: TokenCreate, service: ServiceDep, principal: PrincipalDep, board: BoardDep
) -> SigninLink:
    return await _link(request, service, principal, body.role, **community_binding(body, principal, board))


@router.post("/streets/{street}/signin-links", status_code=201)
async def create_street_link(
    request: Request,
    street: str,
    body: StreetTokenCreate,
    service: ServiceDep,
    principal: PrincipalDep,
    board: StreetBoardDep,
) -> SigninLink:
    return await _link(
        request, service, principal, body.role, **street_binding(street, body, principal, board)
    )


# A code that does not work is a failed sign-in: past the address's limit the answer is 429 (api/throttle.py).
PROBLEM_CONTENT = {MEDIA: {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}}
SIGNIN_ERRORS: dict[int | str, dict[str, Any]] = {
    410: {
        "description": "用过或已过期的链接 (the link was used already, or has expired)",
        "content": PROBLEM_CONTENT,
    },
    429: {"description": ERRORS[429], "content": PROBLEM_CONTENT, "headers": HEADERS[429]},
}


@router.post("/signin", responses=SIGNIN_ERRORS)
async def sign_in(request: Request, body: SigninCode, service: ServiceDep) -> SignedIn:
    token = await asyncio.to_thread(use_code, service.store.engine, body.code, service.clock())
    if token is None:
        # A wrong code counts as a failed sign-in: guessing codes is throttled like guessing tokens.
        failures: AuthFailures = request.app.state.auth_failures
        failures.failed(address_of(request))
        raise HTTPException(410, USED_UP)
    return SignedIn(token=token)


@router.post("/signout", status_code=204)
async def sign_out(service: ServiceDep, principal: PrincipalDep) -> Response:
    await asyncio.to_thread(
        revoke_token,
        service.store.engine,
        principal.id,
        by=f"{principal.subject} (signed out)",
        at=service.clock(),
    )
    await service.pubsub.publish(revocation_notice(principal.id))
    return Response(status_code=204)
