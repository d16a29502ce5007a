"""``/ws``: live channel messages, with resume from the last ``seq`` or a snapshot.

Authenticate on the handshake, never in the URL (URLs end up in logs): an ``Authorization: Bearer``
header, or, from a browser, the subprotocol ``bearer.<token>`` next to ``pingzhan``. Then send
``{"type": "subscribe", "channels": {"community:c1": 41}}`` for each channel, with the last ``seq`` seen
(null: none). The server replies ``{"type": "subscribed", ...}`` per channel, then every
message missed, in order, or one ``{"type": "snapshot", "snapshot": true}`` message when more than
the server's resume limit (``--resume-limit``, default 500) were missed, then live messages ``{channel, seq, type, data, at}``.
"""

import asyncio
import contextlib
import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.access import manages_community, reads_everything, sees_community
from api.appeal_access import handles_appeals
from api.appeal_queue import appeal_queue
from api.auth import Principal, Role, principal_for, token_revoked
from api.channel import Channel, Kind
from api.channels import channel_snapshot
from api.hub import Delivery, Listener
from api.masking import for_subscriber, shown_text
from api.people_access import sees_place
from api.people_channels import place_snapshot
from api.places import named
from api.schemas import community_public
from api.service import Service
from api.throttle import AuthFailures, address_of
from engine.coordinator import Board

router = APIRouter(tags=["websocket 实时推送"])

PROTOCOL = "pingzhan"


def _token(websocket: WebSocket) -> tuple[str | None, str | None]:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), None
    offered = websocket.scope.get("subprotocols", [])
    for item in offered:
        if item.startswith("bearer."):
            return item.removeprefix("bearer."), PROTOCOL if PROTOCOL in offered else None
    return None, None


def _board_of(service: Service, where: Channel) -> Board | None:
    """The community board a channel belongs to, when it names something that is there."""
    if where.community is None:
        return None
    board = service.board(where.community)
    if board is None:
        return None
    if where.kind is Kind.INCIDENT:
        known = (board.incident, *board.incidents)
        return board if any(i is not None and i.id == where.name for i in known) else None
    if where.kind is Kind.ORGANISATION:
        return board if where.name in board.organisations else None
    return board


def allowed(service: Service, p: Principal, where: Channel) -> bool:
    if where.kind is Kind.STREET:
        return p.street == where.scope and p.role in (Role.STREET, Role.OBSERVER) and p.community is None
    board = _board_of(service, where)
    if board is None:
        return False
    if where.kind in (Kind.COMMUNITY, Kind.INCIDENT):
        return reads_everything(p, board)
    if where.kind is Kind.APPEALS:
        return handles_appeals(p, board)
    if where.kind is Kind.ORGANISATION:
        own = p.role is Role.ORGANISATION and p.organisation == where.name and sees_community(p, board)
        return own or manages_community(p, board)
    return sees_place(p, board, where.kind.value, where.name)


def _snapshot(service: Service, where: Channel) -> dict[str, Any]:
    if where.kind is Kind.STREET:
        boards = [
            b for b in service.boards() if b.community is not None and b.community.street == where.scope
        ]
        return {
            "communities": [community_public(b) for b in boards],
            "escalated": [
                {"community": b.community.id, "need": r.need.id, "priority": r.priority}  # type: ignore[union-attr]
                for b in boards
                for r in b.open_needs()
                if r.escalated
            ],
        }
    board = _board_of(service, where)
    assert board is not None
    if where.kind in (Kind.GRID, Kind.BUILDING):
        return place_snapshot(board, where.kind.value, where.name)
    if where.kind is Kind.APPEALS:
        return {"exercise": board.exercise, **appeal_queue(board, None)}
    return named(board, channel_snapshot(board, where))


@dataclass(frozen=True)
class _Reply:
    """A control message for this client only (an error, a pong), sent in turn with channel messages."""

    body: dict[str, Any]


@dataclass(frozen=True)
class _CatchUp:
    channel: Channel
    last: int | None


# A revocation reaches every process through the pub/sub at once; this re-read of the token is the backstop
# for a notice that never came (revoked on the command line without --pubsub, Redis unreachable meanwhile).
RECHECK_S = 10.0
# How long a close frame may wait for room in a client's socket before the connection is simply dropped.
CLOSE_WAIT_S = 2.0


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    service: Service = websocket.app.state.service
    token, subprotocol = _token(websocket)
    principal = principal_for(service.store.engine, token) if token else None
    if principal is None:
        # A failed authentication like a REST one: past the limit this raises, answered 429 with Retry-After.
        failures: AuthFailures = websocket.app.state.auth_failures
        failures.failed(address_of(websocket))
        # Refused before the handshake completes: the client sees HTTP 403 and nothing is sent.
        await websocket.close(code=4401)
        return
    await websocket.accept(subprotocol=subprotocol)
    listener = Listener(principal.id)
    service.hub.join(listener)
    # One task sends everything, so catch-up and live messages can never interleave out of order; the hub's
    # word to close (revoked, too slow) ends the connection even while that task waits on a full socket.
    sender = asyncio.create_task(_send(websocket, service, listener, principal))
    receiver = asyncio.create_task(_receive(websocket, service, principal, listener))
    closing = asyncio.create_task(listener.closing.wait())
    every_s = websocket.app.state.token_recheck_s or RECHECK_S
    recheck = asyncio.create_task(_recheck_token(service, listener, every_s))
    try:
        await asyncio.wait((sender, receiver, closing), return_when=asyncio.FIRST_COMPLETED)
        if listener.why is not None:
            # Nothing more goes out, neither what the sender was about to send nor what is queued behind it.
            await _stop(sender)
            code, reason = listener.why
            # A client that reads nothing never takes the close frame: its socket is dropped after a while.
            with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
                await asyncio.wait_for(websocket.close(code=code, reason=reason), CLOSE_WAIT_S)
    finally:
        service.hub.leave(listener)
        for task in (recheck, closing, receiver, sender):
            await _stop(task)


async def _stop(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def _receive(websocket: WebSocket, service: Service, principal: Principal, listener: Listener) -> None:
    """The client's requests, queued in turn with channel messages, until it goes away."""
    try:
        while True:
            request = await websocket.receive_json()
            listener.queue.put_nowait(await _request(service, principal, listener, request))
    except (WebSocketDisconnect, RuntimeError):
        pass
    except json.JSONDecodeError:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=1003)


async def _recheck_token(service: Service, listener: Listener, every_s: float = RECHECK_S) -> None:
    """Re-read the token now and then: a revocation whose notice never came closes the connection too."""
    while not listener.closing.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listener.closing.wait(), every_s)
        if not listener.closing.is_set() and await asyncio.to_thread(
            token_revoked, service.store.engine, listener.token
        ):
            # The notice was missed: close the token's other connections in this process too.
            service.hub.revoke(listener.token)


async def _request(service: Service, principal: Principal, listener: Listener, request: object) -> object:
    if not isinstance(request, dict):
        return _Reply({"type": "error", "detail": "send a JSON object"})
    if request.get("type") == "ping":
        return _Reply({"type": "pong"})
    channels = request.get("channels")
    if request.get("type") != "subscribe" or not isinstance(channels, dict) or len(channels) != 1:
        return _Reply(
            {
                "type": "error",
                "detail": 'send {"type": "subscribe", "channels": {"community:ID": last_seq_or_null}}',
            }
        )
    [(channel, last)] = channels.items()
    # Re-read on every subscribe: a token revoked in a way this process was not told of gets nothing new.
    if await asyncio.to_thread(token_revoked, service.store.engine, principal.id):
        service.hub.revoke(principal.id)
        return _Reply({"type": "error", "channel": channel, "detail": "token revoked"})
    where = Channel.parse(channel) if isinstance(channel, str) else None
    if where is None or not allowed(service, principal, where):
        return _Reply({"type": "error", "channel": channel, "detail": "no such channel, or not yours"})
    if last is not None and (not isinstance(last, int) or isinstance(last, bool) or last < 0):
        return _Reply(
            {"type": "error", "channel": channel, "detail": f"last seq must be an int >= 0, got {last!r}"}
        )
    # Listen first, then catch up when the sender reaches this request: anything published meanwhile is
    # either in the database already or queued behind the request.
    service.hub.add(listener, channel)
    return _CatchUp(where, last)


async def _send(websocket: WebSocket, service: Service, listener: Listener, principal: Principal) -> None:
    sent: dict[str, int] = {}
    while True:
        item = await listener.queue.get()
        if isinstance(item, Delivery):
            channel = item.channel
            # Before its catch-up, a channel's messages are in the database and will come from there.
            if channel in sent and item.seq > sent[channel]:
                if item.seq > sent[channel] + 1:
                    # Written but never published: a worker died between its commit and its publish
                    # (api/service.py). The database has them: sent first, in order.
                    missed = await asyncio.to_thread(
                        service.store.messages_after, channel, sent[channel], item.seq - sent[channel] - 1
                    )
                    for message in missed:
                        await websocket.send_json(_shown(service, principal, message.wire()))
                sent[channel] = item.seq
                await websocket.send_text(
                    shown_text(principal, partial(_board_of_message, service, channel), item)
                )
        elif isinstance(item, _Reply):
            await websocket.send_json(item.body)
        elif isinstance(item, _CatchUp):
            limit = websocket.app.state.resume_limit
            sent[str(item.channel)] = await _catch_up(websocket, service, principal, item, limit)


def _board_of_message(service: Service, channel: str) -> Board | None:
    where = Channel.parse(channel)
    return service.board(where.community) if where is not None and where.community is not None else None


def _shown(service: Service, principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
    return for_subscriber(principal, lambda: _board_of_message(service, message["channel"]), message)


async def _catch_up(
    websocket: WebSocket, service: Service, principal: Principal, request: _CatchUp, limit: int
) -> int:
    where, last = request.channel, request.last
    channel = str(where)
    current = await asyncio.to_thread(service.seq, channel)
    missed = (
        await asyncio.to_thread(service.store.messages_after, channel, last, limit + 1)
        if last is not None
        else None
    )
    await websocket.send_json({"type": "subscribed", "channel": channel, "seq": current})
    # Too much missed, or a seq from the future (the server's data was reset): start again from a snapshot.
    if missed is None or len(missed) > limit or (last is not None and last > current):
        snapshot = {
            "channel": channel,
            "seq": current,
            "type": "snapshot",
            "snapshot": True,
            "data": _snapshot(service, where),
            "at": service.clock().isoformat(),
        }
        await websocket.send_json(_shown(service, principal, snapshot))
        return current
    seen = last if last is not None else -1
    for message in missed:
        if message.seq > seen:
            await websocket.send_json(_shown(service, principal, message.wire()))
            seen = message.seq
    return seen
