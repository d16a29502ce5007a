"""Dependencies as ``Annotated`` aliases: the service, the caller, the community they ask about."""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.access import Forbidden, sees_community
from api.auth import Principal, Role, principal_for
from api.problems import NotFound, Replay
from api.service import Idempotency, IdempotencyConflict, Service
from api.throttle import AuthFailures, address_of
from engine.coordinator import Board

bearer = HTTPBearer(auto_error=False, description="pingzhan token create 生成的令牌")


# The dependencies that only look in memory are coroutines: run on the event loop, not handed to a thread.
async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_principal(
    request: Request,
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal = principal_for(service.store.engine, credentials.credentials) if credentials else None
    if principal is None:
        # A missing token counts too: this route needs one (see api/throttle.py). Past the limit: 429.
        failures: AuthFailures = request.app.state.auth_failures
        failures.failed(address_of(request))
        raise HTTPException(
            401, "缺少或无效的令牌 (missing or invalid token)", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_board(service: ServiceDep, principal: PrincipalDep, community: Annotated[str, Path()]) -> Board:
    board = service.board(community)
    if board is None or board.is_street or not sees_community(principal, board):
        raise NotFound(f"社区 {community!r}")
    return board


BoardDep = Annotated[Board, Depends(get_board)]


def get_street_board(service: ServiceDep, principal: PrincipalDep, street: Annotated[str, Path()]) -> Board:
    """The street's own board (its pool): for the street's staff and observers (another street's: not found;
    anyone else: forbidden, as the street's other routes answer)."""
    if principal.role not in (Role.STREET, Role.OBSERVER) or principal.community is not None:
        raise Forbidden("只有街道工作人员可以查看 (the street's staff only)")
    board = service.street_board(street)
    if board is None or principal.street != street:
        raise NotFound(f"街道 {street!r}")
    return board


StreetBoardDep = Annotated[Board, Depends(get_street_board)]


# One lock per (owner, key) while its request runs: a retry waits for the first attempt to finish.
_in_flight: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def idempotency_for(
    request: Request, service: Service, principal: Principal, key: str | None
) -> AsyncIterator[Idempotency | None]:
    """The request's key, held while it runs; a retry of a finished request is answered as it was then."""
    if key is None:
        yield None
        return
    if not key.strip():
        # A blank key is a client bug, not a key: taken as one, every such request would replay the first.
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("header", "Idempotency-Key"),
                    "msg": "must not be empty or only spaces; leave the header out to send no key",
                    "input": key,
                }
            ]
        )
    this = Idempotency.of(key, request.method, request.url.path, await request.body())
    lock = _in_flight.setdefault((principal.owner, key), asyncio.Lock())
    async with lock:
        # Answer a retry before the route looks at the board: by now the first attempt may have changed what
        # the route checks (the dispatch declined, the incident closed) and would refuse it.
        earlier = await asyncio.to_thread(service.store.remembered, principal.owner, key)
        if earlier is not None:
            if earlier.request_hash != this.request_hash:
                raise IdempotencyConflict(key)
            raise Replay(earlier.status, earlier.response)
        yield this


async def get_idempotency(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> AsyncIterator[Idempotency | None]:
    async with idempotency_for(request, service, principal, key) as held:
        yield held


IdempotencyDep = Annotated[Idempotency | None, Depends(get_idempotency)]
