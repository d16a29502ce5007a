"""A warning to the communities it concerns: each covered community gets its proposal, each community holding
a warning that a Cancel or an Update withdraws gets the withdrawal; one street's communities in one round.

Receiving is idempotent in the engine (the warning's id is its sender's and identifier's), so a warning sent
twice, or polled by every worker, makes one proposal per community.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from api.auth import Principal
from api.cap.areas import AreaCodes, covered
from api.cap.read import ACTED_ON, Alert, MsgType
from api.service import NotOwner, Service
from api.warning_views import warning_json
from engine.coordinator import Board, Step
from engine.coordinator.commands import CancelWarning, Command, ReceiveWarning
from engine.model.ids import StreetId


@dataclass
class Delivered:
    """What became of one alert: per community, the warning as it stands there now; ``elsewhere``: streets
    another worker owns (api/routes/warnings.py sends the alert on to it)."""

    communities: list[dict[str, Any]] = field(default_factory=list)
    elsewhere: dict[StreetId, NotOwner] = field(default_factory=dict)
    ignored: str = ""


async def deliver(
    service: Service, alert: Alert, codes: AreaCodes, principal: Principal, streets: set[str] | None
) -> Delivered:
    """``streets``: the streets it may reach (None: every street this server knows)."""
    if alert.status not in ACTED_ON:
        return Delivered(
            ignored=f"status {alert.status.value}: 测试或草稿，不处理 (a test or draft is not acted on)"
        )
    if alert.msg_type in (MsgType.ACK, MsgType.ERROR):
        return Delivered(ignored=f"msgType {alert.msg_type.value}: 回执，不处理 (an acknowledgement)")
    boards = [
        b
        for b in service.boards()
        if b.community is not None and not b.is_street and (streets is None or b.community.street in streets)
    ]
    orders = _orders(alert, boards, codes)
    by_street: dict[StreetId, list[tuple[str, Command]]] = defaultdict(list)
    whys: dict[str, str] = {}
    for board, command, why in orders:
        assert board.community is not None
        by_street[board.community.street].append((board.community.id, command))
        whys[board.community.id] = why
    result = Delivered()
    for street, commands in sorted(by_street.items()):

        def respond(boards: list[Board], _: list[list[Step]]) -> tuple[int, Any]:
            return 200, [_state(b, alert, whys, service) for b in boards]

        try:
            _, states = await service.execute_many(commands, principal, respond)
        except NotOwner as elsewhere:
            result.elsewhere[street] = elsewhere
            continue
        result.communities.extend(states)
    return result


def _orders(alert: Alert, boards: list[Board], codes: AreaCodes) -> list[tuple[Board, Command, str]]:
    withdrawn = alert.references if alert.msg_type in (MsgType.CANCEL, MsgType.UPDATE) else ()
    holding = [b for b in boards if any(r in b.warnings.records for r in withdrawn)]
    if alert.warning is None:
        return [(b, CancelWarning(cancel=alert.id, references=withdrawn), "撤销") for b in holding]
    found = covered(alert.areas, boards, codes)
    orders: list[tuple[Board, Command, str]] = []
    for board in boards:
        assert board.community is not None
        if board.community.id in found:
            orders.append((board, ReceiveWarning(warning=alert.warning), found[board.community.id]))
        elif board in holding:
            # An update whose area no longer covers the community: its old proposal is withdrawn there.
            orders.append((board, CancelWarning(cancel=alert.id, references=withdrawn), "更新后不再覆盖"))
    return orders


def _state(board: Board, alert: Alert, whys: dict[str, str], service: Service) -> dict[str, Any]:
    assert board.community is not None
    # The warning itself; for a Cancel, the first warning it withdrew here.
    ids = (alert.warning.id,) if alert.warning is not None else alert.references
    record = next((board.warnings.records[i] for i in ids if i in board.warnings.records), None)
    return {
        "community": board.community.id,
        "community_name": board.community.name or board.community.id,
        "why": whys.get(board.community.id, ""),
        "warning": warning_json(record, service.clock()) if record is not None else None,
    }
