"""Residents' phones: who sees one in clear is decided here, for every REST answer and channel message alike.

Channel messages are stored and published with every phone masked. A subscriber allowed to see a need's phone
(:func:`api.access.sees_phone`: the community's cadres, the responder assigned) gets it filled in from the
board when the message is delivered to them, and only then; everyone else gets the message as stored.
Subscribers who see the same phones in clear (:func:`phone_view`) share one text of each message.
"""

import copy
import json
from collections.abc import Callable, Hashable
from typing import Any

from api.access import home_key, sees_community, sees_phone
from api.auth import Principal, Role
from api.hub import Delivery
from api.places import need_place
from engine.coordinator import Board, NeedRecord
from engine.coordinator.board import need_json
from engine.governance.views import mask_phone

# The only message types that carry a need's phone (masked): nothing else needs looking at per subscriber.
CARRY_PHONES = frozenset(
    {
        "need_reported",
        "need_updated",
        "need_cancelled",
        "need_escalated",
        "escalation_answered",
        "dispatch_status_changed",
        "dispatches",
        "snapshot",
    }
)
# The only roles that may ever see a phone in clear.
MAY_REVEAL = frozenset({Role.CADRE, Role.ORGANISATION})


def show_phone(p: Principal, board: Board, need_id: str, phone: str | None) -> str | None:
    """``phone`` (a need's contact) as ``p`` may see it."""
    return phone if sees_phone(p, board, need_id) else mask_phone(phone)


def need_public(p: Principal, board: Board, record: NeedRecord) -> dict[str, Any]:
    data = need_json(record)
    data["contact_phone"] = show_phone(p, board, record.need.id, record.contact_phone)
    data["place"] = need_place(board, record.need)
    return data


def need_masked_json(record: NeedRecord) -> dict[str, Any]:
    """A need as every channel message stores it."""
    data = need_json(record)
    data["contact_phone"] = mask_phone(record.contact_phone)
    return data


def for_subscriber(
    p: Principal, board_of: Callable[[], Board | None], message: dict[str, Any]
) -> dict[str, Any]:
    """The channel message ``message`` (``{channel, seq, type, data, at}``) as ``p`` may see it. The stored
    message is never changed: a copy is made when something is shown in clear. ``board_of`` is asked only
    for a message that may need it, so most deliveries do no work here at all."""
    if p.role not in MAY_REVEAL or message.get("type") not in CARRY_PHONES:
        return message
    board = board_of()
    if board is None:
        return message
    revealed = copy.deepcopy(message)
    _reveal(p, board, revealed["data"])
    return revealed


def _reveal(p: Principal, board: Board, node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _reveal(p, board, item)
        return
    if not isinstance(node, dict):
        return
    if "contact_phone" in node:
        # A need's own JSON has its id and capability; an event that names a need has the need inside it.
        need = node if "capability" in node else node.get("need")
        need_id = need.get("id") if isinstance(need, dict) else None
        record = board.needs.get(need_id) if isinstance(need_id, str) else None  # type: ignore[call-overload]
        if record is not None and sees_phone(p, board, record.need.id):
            node["contact_phone"] = record.contact_phone
    for value in node.values():
        if isinstance(value, dict | list):
            _reveal(p, board, value)


def phone_view(p: Principal, board: Board) -> Hashable | None:
    """Who sees exactly the phones of ``board`` in clear that ``p`` sees (None: no phone, the messages as
    stored), as :func:`api.access.sees_phone` decides: a cadre every phone of a community they see, whatever
    the need; an organisation those of the needs its own units are sent to, which only the board its units
    are kept on and its id decide (:func:`api.access.owns_resource`)."""
    if p.role is Role.CADRE:
        return ("cadre",) if sees_community(p, board) else None
    if p.role is Role.ORGANISATION:
        return ("organisation", home_key(p), p.organisation)
    return None


def shown_text(p: Principal, board_of: Callable[[], Board | None], delivery: Delivery) -> str:
    """The text of a live channel message as ``p`` may see it: the message as published for most, one text
    per :func:`phone_view` and version of the board for subscribers who see a phone in clear."""
    message = delivery.message
    if p.role not in MAY_REVEAL or message.get("type") not in CARRY_PHONES:
        return delivery.raw
    board = board_of()
    view = phone_view(p, board) if board is not None else None
    if board is None or view is None:
        return delivery.raw
    return delivery.text(
        (view, id(board), board.events),
        lambda: json.dumps(
            for_subscriber(p, lambda: board, message), ensure_ascii=False, separators=(",", ":")
        ),
    )
